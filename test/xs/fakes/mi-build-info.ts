/** Lane stand-in for build/moddable/build-info.js (written by `npm run build:moddable`). */
export default Object.freeze({ sdkVersion: 'lane', app: 'lane', builtAt: '1970-01-01T00:00:00.000Z', bundleBytes: 0 });
