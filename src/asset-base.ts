/**
 * Where the runtime looks for the engines' WASM (`ort/`, `tfjs/`) and the built-in tasks'
 * models (`models/`) when `createRuntime({ assetBaseUrl })` is not given.
 *
 * The `inpage/vite` plugin defines `__INPAGE_ASSET_BASE__` as Vite's `base` + its `path`
 * (`'/sub/inpage/'` for `base: '/sub/'`), in dev and in the build. Other bundlers may define
 * it too (a supported, documented hook: webpack's `DefinePlugin({ __INPAGE_ASSET_BASE__:
 * JSON.stringify('/inpage/') })`). Without it the base is `'inpage/'`, resolved against the
 * page's base URL (`document.baseURI`): a page at `/app/` finds its assets at `/app/inpage/`,
 * as `npx inpage assets public/inpage` lays them out.
 */
declare const __INPAGE_ASSET_BASE__: string | undefined;

/** The asset base the app's build declared, else `'inpage/'` (relative to the page). */
export function declaredAssetBase(): string {
  return typeof __INPAGE_ASSET_BASE__ === 'string' ? __INPAGE_ASSET_BASE__ : 'inpage/';
}
