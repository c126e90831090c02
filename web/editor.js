// CodeMirror 6 editor for a runnable block.
//
// Colours come from Material's CSS variables (--md-code-*), and syntax tokens get `tok-*`
// classes styled in docs/assets/k8s-run.css, so the editor follows the light/dark toggle
// without reconfiguring. Height grows with the code.

import { python } from "@codemirror/lang-python";
import { syntaxHighlighting } from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { tr } from "./i18n.js";
import { classHighlighter } from "@lezer/highlight";

const theme = EditorView.theme({
  "&": {
    color: "var(--md-code-fg-color)",
    backgroundColor: "var(--md-code-bg-color)",
    fontSize: ".85em",
  },
  ".cm-content": { fontFamily: "var(--md-code-font-family)", caretColor: "var(--md-code-fg-color)" },
  ".cm-gutters": {
    backgroundColor: "var(--md-code-bg-color)",
    color: "var(--md-default-fg-color--lighter)",
    border: "none",
  },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--md-code-hl-color--light, transparent)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--md-accent-fg-color--transparent) !important",
  },
  "&.cm-focused": { outline: "1px solid var(--md-accent-fg-color)" },
});

// Create an editor in `parent`; `onRun` is called on Ctrl/Cmd-Enter.
export function createEditor(parent, code, onRun) {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: code,
      extensions: [
        basicSetup,
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true) }])),
        python(),
        syntaxHighlighting(classHighlighter),
        theme,
        EditorView.contentAttributes.of({ "aria-label": tr("Python 代码（Ctrl+Enter 运行）", "Python code (Ctrl+Enter runs it)") }),
      ],
    }),
  });
}

export function getCode(view) {
  return view.state.doc.toString();
}

export function setCode(view, code) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
}
