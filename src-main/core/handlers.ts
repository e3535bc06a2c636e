/** The shape of Core's method handlers: one function per contract method, grouped by area. */
import type { MethodName, ParsedRequestOf, ResponseOf } from '../contract';

export type Handler<M extends MethodName> = (params: ParsedRequestOf<M>) => Promise<ResponseOf<M>> | ResponseOf<M>;
export type Handlers<M extends MethodName> = { [K in M]: Handler<K> };
