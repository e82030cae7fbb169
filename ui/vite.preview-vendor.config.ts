// Builds the ES modules the preview pane maps bare imports to (react, react-dom, …), from the
// npm packages, into dist/preview-vendor/ so they ship inside the app: no network at run time.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { defineConfig, type Plugin } from "vite";

const require = createRequire(import.meta.url);

/** Output file → the package specifier it re-exports (names match VENDORED_MODULES in Rust). */
const MODULES: Record<string, string> = {
  react: "react",
  "react-jsx-runtime": "react/jsx-runtime",
  "react-dom": "react-dom",
  "react-dom-client": "react-dom/client",
};

const VIRTUAL = "\0preview-vendor:";

/**
 * React ships CommonJS only, and `export *` from CommonJS yields no named exports, so each
 * entry spells out the package's export names, read from the package itself.
 */
function vendorEntries(): Plugin {
  return {
    name: "bucketforge-preview-vendor",
    enforce: "pre",
    resolveId(id) {
      // Vite may hand lib entries over as paths, so match the name wherever it sits.
      const at = id.indexOf("preview-vendor:");
      return at >= 0 ? `\0${id.slice(at)}` : null;
    },
    load(id) {
      if (!id.startsWith(VIRTUAL)) return null;
      const spec = MODULES[id.slice(VIRTUAL.length)];
      const names = Object.keys(require(spec)).filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
      return [
        `import * as ns from ${JSON.stringify(spec)};`,
        "const m = ns.default ?? ns;",
        "export default m;",
        ...names.map((n) => `export const ${n} = m[${JSON.stringify(n)}];`),
      ].join("\n");
    },
    generateBundle() {
      // Tailwind's browser build, used only by projects that have a tailwind.config.
      const tailwind = require.resolve("@tailwindcss/browser");
      this.emitFile({ type: "asset", fileName: "tailwind.js", source: readFileSync(tailwind, "utf8") });
    },
  };
}

export default defineConfig({
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  plugins: [vendorEntries()],
  build: {
    outDir: "dist/preview-vendor",
    emptyOutDir: true,
    target: "es2020",
    minify: true,
    lib: {
      entry: Object.fromEntries(Object.keys(MODULES).map((name) => [name, `preview-vendor:${name}`])),
      formats: ["es"],
      fileName: (_format, name) => `${name}.js`,
    },
    rollupOptions: { output: { chunkFileNames: "shared-[hash].js" } },
  },
});
