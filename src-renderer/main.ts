// First: zod reads its config when the contract's schemas are built at import time.
import './lib/zod-config';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { openConnection } from './api';
import App from './App.vue';
import './components/charts/chart-setup';
import { createAppI18n } from './i18n';
import { useConnectionStore } from './stores/connection';
// Chinese on a machine without a CJK font: the subsets load from the app itself as text needs them.
import '@fontsource/noto-sans-sc/400.css';
import './styles/main.css';

const pinia = createPinia();
const app = createApp(App).use(pinia).use(createAppI18n());
useConnectionStore(pinia).attach(openConnection());
app.mount('#app');
