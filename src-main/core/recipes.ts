/** Core's recipe methods: the paper recipes and their laptop-scale versions, as presets. */
import { RECIPES } from '../train/recipes';
import type { Handlers } from './handlers';

export const recipeHandlers: Handlers<'recipes.list'> = {
  'recipes.list': () => RECIPES,
};
