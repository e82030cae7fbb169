// One file's two versions as a read-only unified diff; loaded on demand, like the code viewer it shares its look with.
import { unifiedMergeView } from "@codemirror/merge";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, lineNumbers } from "@codemirror/view";
import { highlighting, loadLanguage, theme } from "./editor";
import type { LanguageId } from "./languages";

export interface DiffShown {
  /** Resolves once the file's language is loaded and highlighting is on. */
  highlighted: Promise<void>;
  destroy: () => void;
}

/**
 * Shows `after` with what changed from `before` marked line by line: deleted lines in place
 * above the ones that replaced them, long unchanged stretches folded away.
 */
export function showDiff(parent: HTMLElement, label: string, before: string, after: string, id: LanguageId | null): DiffShown {
  const language = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: after,
      extensions: [
        lineNumbers(),
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        EditorView.contentAttributes.of({ "aria-label": label, "aria-readonly": "true" }),
        unifiedMergeView({
          original: before,
          mergeControls: false,
          gutter: true,
          syntaxHighlightDeletions: true,
          collapseUnchanged: { margin: 3, minSize: 6 },
        }),
        highlighting,
        theme,
        language.of([]),
      ],
    }),
  });
  let live = true;
  const highlighted = id
    ? loadLanguage(id).then((support) => {
        if (live) view.dispatch({ effects: language.reconfigure(support) });
      })
    : Promise.resolve();
  return {
    highlighted,
    destroy: () => {
      live = false;
      view.destroy();
    },
  };
}
