// The browser's URL for the one dependency (xmlbuilder2, through vtk.js) that asks Node for it.
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
export default { URL, URLSearchParams };
