// A project's files as a keyboard-navigable tree (arrows move, Right/Left open and close folders, Enter opens).
import { useMemo, useRef, useState, type KeyboardEvent } from "react";
import { buildTree, visibleRows, type TreeRow } from "../file-tree";
import { ChevronIcon, FileIcon, FolderIcon } from "./Icons";

interface Props {
  paths: string[];
  selected: string | null;
  onOpen: (path: string) => void;
}

export default function FileTree({ paths, selected, onOpen }: Props) {
  const tree = useMemo(() => buildTree(paths), [paths]);
  const [closed, setClosed] = useState<Set<string>>(() => new Set());
  const [focused, setFocused] = useState<string | null>(null);
  const items = useRef(new Map<string, HTMLLIElement>());
  const rows = visibleRows(tree, closed);
  const current = focused && rows.some((r) => r.node.path === focused) ? focused : (selected ?? rows[0]?.node.path ?? null);

  const focus = (path: string | null | undefined) => {
    if (!path) return;
    setFocused(path);
    items.current.get(path)?.focus();
  };

  const toggle = (path: string, open: boolean) =>
    setClosed((was) => {
      const next = new Set(was);
      if (open) next.delete(path);
      else next.add(path);
      return next;
    });

  const onKeyDown = (e: KeyboardEvent, row: TreeRow, index: number) => {
    const { node } = row;
    const isOpen = node.kind === "folder" && !closed.has(node.path);
    const keys: Record<string, () => void> = {
      ArrowDown: () => focus(rows[index + 1]?.node.path),
      ArrowUp: () => focus(rows[index - 1]?.node.path),
      Home: () => focus(rows[0]?.node.path),
      End: () => focus(rows[rows.length - 1]?.node.path),
      ArrowRight: () => {
        if (node.kind !== "folder") return;
        if (isOpen) focus(rows[index + 1]?.node.path);
        else toggle(node.path, true);
      },
      ArrowLeft: () => {
        if (isOpen) toggle(node.path, false);
        else focus(row.parent);
      },
      Enter: () => (node.kind === "file" ? onOpen(node.path) : toggle(node.path, !isOpen)),
      " ": () => (node.kind === "file" ? onOpen(node.path) : toggle(node.path, !isOpen)),
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  return (
    <ul className="file-tree" role="tree" aria-label="Project files">
      {rows.map((row, index) => {
        const { node, depth } = row;
        const isFolder = node.kind === "folder";
        const isOpen = isFolder && !closed.has(node.path);
        return (
          <li
            key={`${node.kind}:${node.path}`}
            ref={(el) => {
              if (el) items.current.set(node.path, el);
              else items.current.delete(node.path);
            }}
            role="treeitem"
            aria-level={depth + 1}
            aria-expanded={isFolder ? isOpen : undefined}
            aria-selected={isFolder ? undefined : node.path === selected}
            tabIndex={node.path === current ? 0 : -1}
            className={`tree-item${node.path === selected ? " is-selected" : ""}`}
            style={{ paddingLeft: `${8 + depth * 14}px` }}
            data-testid={isFolder ? "folder-item" : "file-item"}
            data-path={node.path}
            title={node.path}
            onClick={() => {
              setFocused(node.path);
              if (isFolder) toggle(node.path, !isOpen);
              else onOpen(node.path);
            }}
            onKeyDown={(e) => onKeyDown(e, row, index)}
          >
            {isFolder ? (
              <>
                <ChevronIcon width={14} height={14} className={`tree-chevron${isOpen ? " is-open" : ""}`} />
                <FolderIcon width={16} height={16} />
              </>
            ) : (
              <>
                <span className="tree-chevron-space" />
                <FileIcon width={16} height={16} />
              </>
            )}
            <span className="tree-name">{node.name}</span>
          </li>
        );
      })}
    </ul>
  );
}
