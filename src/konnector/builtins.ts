// The Node.js builtins the konnector uses that are costly to import as ES modules. An ES import of
// a builtin builds its module namespace from every export, which runs each lazy getter:
// node:http's WebSocket, CloseEvent and MessageEvent load Node's bundled undici (≈14 MiB more
// resident at idle: its 750 KiB source, compiled code and the executable's pages it touches), and
// node:util's parseArgs, diff, … load their modules (≈3 MiB). process.getBuiltinModule returns
// the CommonJS exports without a namespace, so only what is used loads: the
// konnector's resident memory stays what it needs. eslint.config.js refuses the ES imports in src/.
export const { createServer } = process.getBuiltinModule('node:http');
export const { isDeepStrictEqual } = process.getBuiltinModule('node:util');
