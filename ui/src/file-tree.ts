// A project's flat file paths arranged as folders and files, and the rows a tree shows when some folders are closed.

export interface TreeNode {
  name: string;
  /** The file's path, or the folder's path without a trailing "/". */
  path: string;
  kind: "folder" | "file";
  children: TreeNode[];
}

export interface TreeRow {
  node: TreeNode;
  depth: number;
  parent: string | null;
}

/** Folders before files, each sorted by name the way people read them (2 before 10). */
export function buildTree(paths: string[]): TreeNode[] {
  const root: TreeNode = { name: "", path: "", kind: "folder", children: [] };
  for (const path of paths) {
    const parts = path.split("/");
    let here = root;
    parts.forEach((part, i) => {
      const isFile = i === parts.length - 1;
      const at = parts.slice(0, i + 1).join("/");
      let next = here.children.find((c) => c.name === part && c.kind === (isFile ? "file" : "folder"));
      if (!next) {
        next = { name: part, path: at, kind: isFile ? "file" : "folder", children: [] };
        here.children.push(next);
      }
      here = next;
    });
  }
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  const sort = (nodes: TreeNode[]) => {
    nodes.sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === "folder" ? -1 : 1));
    nodes.forEach((n) => sort(n.children));
  };
  sort(root.children);
  return root.children;
}

/** The rows on screen: every node whose folders are all open, depth-first. */
export function visibleRows(nodes: TreeNode[], closed: Set<string>, depth = 0, parent: string | null = null): TreeRow[] {
  const rows: TreeRow[] = [];
  for (const node of nodes) {
    rows.push({ node, depth, parent });
    if (node.kind === "folder" && !closed.has(node.path)) {
      rows.push(...visibleRows(node.children, closed, depth + 1, node.path));
    }
  }
  return rows;
}

/** The file a project opens on: its main component when it has one, else the first file. */
export function preferredFile(paths: string[]): string | null {
  const wanted = ["frontend/src/App.jsx", "frontend/src/App.tsx", "src/App.jsx", "src/App.tsx", "README.md"];
  return wanted.find((p) => paths.includes(p)) ?? paths[0] ?? null;
}
