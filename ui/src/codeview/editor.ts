// The CodeMirror view behind the code viewer, read-only until the user edits; loaded on demand, each language in its own chunk.
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { HighlightStyle, syntaxHighlighting, type LanguageSupport } from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import type { LanguageId } from "./languages";

const LOADERS: Record<LanguageId, () => Promise<LanguageSupport>> = {
  python: () => import("@codemirror/lang-python").then((m) => m.python()),
  javascript: () => import("@codemirror/lang-javascript").then((m) => m.javascript()),
  jsx: () => import("@codemirror/lang-javascript").then((m) => m.javascript({ jsx: true })),
  typescript: () => import("@codemirror/lang-javascript").then((m) => m.javascript({ typescript: true })),
  tsx: () => import("@codemirror/lang-javascript").then((m) => m.javascript({ jsx: true, typescript: true })),
  json: () => import("@codemirror/lang-json").then((m) => m.json()),
  css: () => import("@codemirror/lang-css").then((m) => m.css()),
  html: () => import("@codemirror/lang-html").then((m) => m.html()),
  markdown: () => import("@codemirror/lang-markdown").then((m) => m.markdown()),
};

/** The grammar of `id`, fetched the first time it is needed. */
export function loadLanguage(id: LanguageId): Promise<LanguageSupport> {
  return LOADERS[id]();
}

// Colours come from CSS variables (styles.css), so the viewer follows the OS light/dark theme.
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.operatorKeyword, t.modifier, t.controlKeyword, t.definitionKeyword, t.moduleKeyword], color: "var(--syn-keyword)" },
  { tag: [t.string, t.special(t.string), t.regexp], color: "var(--syn-string)" },
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: "var(--syn-comment)", fontStyle: "italic" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--syn-number)" },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.macroName], color: "var(--syn-function)" },
  { tag: [t.typeName, t.className, t.namespace], color: "var(--syn-type)" },
  { tag: [t.tagName, t.angleBracket], color: "var(--syn-tag)" },
  { tag: [t.attributeName, t.propertyName], color: "var(--syn-property)" },
  { tag: [t.heading], color: "var(--syn-keyword)", fontWeight: "bold" },
  { tag: [t.link, t.url], color: "var(--syn-string)", textDecoration: "underline" },
  { tag: [t.emphasis], fontStyle: "italic" },
  { tag: [t.strong], fontWeight: "bold" },
  { tag: [t.invalid], color: "var(--danger)" },
]);

export const highlighting = syntaxHighlighting(highlight);

export const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "var(--code-bg)", color: "var(--text)", fontSize: "13px" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.55" },
  ".cm-gutters": { backgroundColor: "var(--code-bg)", color: "var(--text-muted)", border: "none" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--code-active)" },
  ".cm-content": { caretColor: "var(--text)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "var(--code-selection) !important" },
});

export interface Viewer {
  /**
   * Shows `text`; resolves once its language is loaded and highlighting is on. Showing the text
   * already there (an edit coming back from the screen) keeps the cursor and the undo history.
   */
  show: (text: string, language: LanguageId | null) => Promise<void>;
  /** Lets the user type in it, or makes it read-only again. */
  setEditable: (editable: boolean) => void;
  focus: () => void;
  destroy: () => void;
}

function editability(editable: boolean) {
  return [EditorState.readOnly.of(!editable), EditorView.contentAttributes.of({ "aria-readonly": String(!editable) })];
}

/** A viewer in `parent`; `onEdit` gets the whole text after each change the user makes. */
export function createViewer(parent: HTMLElement, label: string, onEdit: (text: string) => void = () => {}): Viewer {
  const language = new Compartment();
  const mode = new Compartment();
  let editable = false;
  const base = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    highlightActiveLine(),
    keymap.of([...defaultKeymap, ...historyKeymap]),
    highlighting,
    EditorView.contentAttributes.of({ "aria-label": label }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onEdit(update.state.doc.toString());
    }),
    theme,
  ];
  const fresh = (doc: string) => EditorState.create({ doc, extensions: [base, mode.of(editability(editable)), language.of([])] });
  const view = new EditorView({ parent, state: fresh("") });
  let shown = 0;
  let shownLanguage: LanguageId | null = null;
  let pending: Promise<void> = Promise.resolve();

  const load = async (mine: number, id: LanguageId | null) => {
    if (!id) return;
    const support = await loadLanguage(id);
    // A newer file may have been opened while this language loaded.
    if (mine === shown) view.dispatch({ effects: language.reconfigure(support) });
  };

  return {
    show(text, id) {
      if (text === view.state.doc.toString() && id === shownLanguage) return pending;
      const mine = ++shown;
      shownLanguage = id;
      view.setState(fresh(text));
      pending = load(mine, id);
      return pending;
    },
    setEditable(next) {
      editable = next;
      view.dispatch({ effects: mode.reconfigure(editability(next)) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
