/**
 * `true` when `Listed` names every member of `Union`, `never` otherwise: a constant typed with it
 * (`const COMPLETE: CoversAll<keyof Config, typeof KEYS> = true`) fails to compile when a member is
 * added to the type but not to the runtime list that checks untyped input against it.
 */
export type CoversAll<Union, Listed extends readonly unknown[]> = Exclude<Union, Listed[number]> extends never ? true : never;
