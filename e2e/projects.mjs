// The projects the scripted LLM server writes in the end-to-end tests.

/** A small, valid React project: a button that counts its clicks. */
export const COUNTER_FILES = {
  "index.html": "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Click Counter</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n    <script type=\"module\" src=\"/src/main.jsx\"></script>\n  </body>\n</html>\n",
  "package.json": "{\n  \"name\": \"click-counter\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"scripts\": { \"dev\": \"vite\" },\n  \"dependencies\": { \"react\": \"^18.3.1\", \"react-dom\": \"^18.3.1\" },\n  \"devDependencies\": { \"vite\": \"^5.4.0\" }\n}\n",
  "src/main.jsx": "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\nimport './index.css';\n\ncreateRoot(document.getElementById('root')).render(<App />);\n",
  "src/index.css": "body { font-family: system-ui, sans-serif; margin: 2rem; }\nbutton { font-size: 1.25rem; padding: 0.5rem 1rem; }\n",
  "src/App.jsx": "import { useState } from 'react';\nimport Title from './components/Title.jsx';\n\nexport default function App() {\n  const [count, setCount] = useState(0);\n  return (\n    <main>\n      <Title text=\"Click Counter\" />\n      <button onClick={() => setCount(count + 1)}>Clicked {count} times</button>\n    </main>\n  );\n}\n",
  "src/components/Title.jsx": "export default function Title({ text }) {\n  return <h1>{text}</h1>;\n}\n",
  "README.md": "# Click Counter\n\n1. Install Node.js.\n2. Run `npm install`, then `npm run dev`.\n",
};

/**
 * A 20-file React project (as in the engine's preview benchmark): a page, an entry, a stylesheet,
 * a shared helper, 14 components, an App, a package.json.
 */
export const TWENTY_FILES = (() => {
  const files = {
    "index.html": "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Parts</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n    <script type=\"module\" src=\"/src/main.jsx\"></script>\n  </body>\n</html>\n",
    "package.json": "{\n  \"name\": \"parts\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"scripts\": { \"dev\": \"vite\" },\n  \"dependencies\": { \"react\": \"^18.3.1\", \"react-dom\": \"^18.3.1\" },\n  \"devDependencies\": { \"vite\": \"^5.4.0\" }\n}\n",
    "src/main.jsx": "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\nimport './index.css';\n\ncreateRoot(document.getElementById('root')).render(<App />);\n",
    "src/index.css": "body { font-family: system-ui, sans-serif; margin: 2rem; }\nbutton { margin: 0.25rem; }\n",
    "src/lib/format.ts": "export const label = (i: number): string => `Part ${i}`;\n",
  };
  const parts = Array.from({ length: 14 }, (_, i) => i);
  for (const i of parts) {
    files[`src/parts/Part${i}.tsx`] =
      `import { useState } from 'react';\nimport { label } from '../lib/format';\n\nexport default function Part${i}() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>{label(${i})}: {n}</button>;\n}\n`;
  }
  files["src/App.jsx"] =
    parts.map((i) => `import Part${i} from './parts/Part${i}';\n`).join("") +
    `\nexport default function App() {\n  return (\n    <main>\n      <h1>Parts</h1>\n      ${parts.map((i) => `<Part${i} />`).join("")}\n    </main>\n  );\n}\n`;
  return files;
})();

/**
 * Replies for `projectScript` that write each of `files` (but those in `except`) as given the
 * first time it is asked for, and with a byte more any time after: a resume that wrote an
 * uploaded file again would change its bytes and its ETag.
 */
export function changedIfWrittenAgain(files, except = []) {
  return Object.fromEntries(
    Object.entries(files)
      .filter(([p]) => !except.includes(p))
      .map(([p, text]) => [`write ${p}`, [{ text, chunk_chars: 16, tokens_per_second: 200 }, { text: `${text}\n`, chunk_chars: 16 }]]),
  );
}
