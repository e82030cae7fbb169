// Builds the ES modules the preview pane maps bare imports to (react, react-dom, …), from the
// npm packages, into dist/preview-vendor/ so they ship inside the app: no network at run time.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { defineConfig, type Plugin } from "vite";

const require = createRequire(import.meta.url);

/**
 * Output file → how it is made (names match VENDORED_MODULES in Rust). React ships CommonJS only,
 * so its entries spell out the export names; the other packages are ES modules and re-export.
 */
const MODULES: Record<string, { cjs: string } | { source: string }> = {
  react: { cjs: "react" },
  "react-jsx-runtime": { cjs: "react/jsx-runtime" },
  "react-dom": { cjs: "react-dom" },
  "react-dom-client": { cjs: "react-dom/client" },
  // The pane's page has no address of its own to route on (its URL is the preview's, and a
  // sandboxed frame may not rewrite it), so the browser routers keep their location in memory:
  // links, redirects and back/forward work as in a browser tab.
  "react-router-dom": {
    source: [
      'export * from "react-router-dom";',
      'import { createElement } from "react";',
      'import { MemoryRouter, createMemoryRouter } from "react-router-dom";',
      "export function BrowserRouter({ basename, children }) {",
      '  return createElement(MemoryRouter, { basename, initialEntries: [basename || "/"] }, children);',
      "}",
      "export function createBrowserRouter(routes, options = {}) {",
      '  return createMemoryRouter(routes, { initialEntries: [options.basename || "/"], ...options });',
      "}",
    ].join("\n"),
  },
  "lucide-react": { source: 'export * from "lucide-react";' },
  clsx: { source: 'export * from "clsx";\nexport { default } from "clsx";' },
  "date-fns": { source: 'export * from "date-fns";' },
  uuid: { source: 'export * from "uuid";' },
  zustand: { source: 'export * from "zustand";' },
  "zustand-middleware": { source: 'export * from "zustand/middleware";' },
};

const VIRTUAL = "\0preview-vendor:";

/**
 * Each entry is a virtual module: `export *` from CommonJS yields no named exports, so a CommonJS
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
      const entry = MODULES[id.slice(VIRTUAL.length)];
      if ("source" in entry) return entry.source;
      const names = Object.keys(require(entry.cjs)).filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
      return [
        `import * as ns from ${JSON.stringify(entry.cjs)};`,
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
