// The user's projects in the bucket: searched by short name, paged lazily, with runs of this window shown live.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { errorReport, projectsList } from "../api";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { ProjectListItem } from "../bindings/ProjectListItem";
import type { ProjectStatus } from "../bindings/ProjectStatus";
import ErrorBanner from "../components/ErrorBanner";
import { FolderIcon, RefreshIcon, SearchIcon } from "../components/Icons";
import StatusBadge from "../components/StatusBadge";
import { formatAgo, formatDate } from "../dates";
import { formatBytes, isRunning, totals, type RunPhase } from "../generation";
import { useDebounced } from "../hooks";
import { useNavigation, type ProjectTab } from "../navigation";
import { useRuns, type Run } from "../runs";
import { slugify } from "../slug";
import ProjectView from "./ProjectView";

interface Props {
  slug: string | null;
  tab: ProjectTab;
}

export default function ProjectsScreen({ slug, tab }: Props) {
  return slug ? <ProjectView key={slug} slug={slug} tab={tab} /> : <ProjectList />;
}

const PHASE_STATUS: Record<RunPhase, ProjectStatus> = {
  planning: "generating",
  writing: "generating",
  checking: "generating",
  finished: "complete",
  failed: "failed",
  cancelled: "cancelled",
};

/** A list row as this window knows it: runs it follows are fresher than the listing. */
function withRun(item: ProjectListItem, run: Run | undefined, listedAt: number): ProjectListItem {
  if (!run) return item;
  const live = isRunning(run.state);
  if (!live && (run.endedAt ?? 0) < listedAt) return item;
  const t = totals(run.state);
  return {
    ...item,
    status: PHASE_STATUS[run.state.phase],
    // This window follows the run itself: its lease says nothing new.
    activity: null,
    files: live ? Math.max(item.files, t.uploaded) : t.uploaded,
    bytes: live ? item.bytes : run.state.files.filter((f) => f.status === "uploaded").reduce((sum, f) => sum + f.bytes, 0),
    name: run.state.name ?? item.name,
  };
}

function ProjectList() {
  const { openProject, go } = useNavigation();
  const { runs } = useRuns();
  const [search, setSearch] = useState("");
  const query = useDebounced(search.trim(), 250);
  const [items, setItems] = useState<ProjectListItem[]>([]);
  const [nextPage, setNextPage] = useState<string | null>(null);
  const [loading, setLoading] = useState<"first" | "more" | null>("first");
  const [error, setError] = useState<ErrorReport | null>(null);
  const [listedAt, setListedAt] = useState(0);
  const request = useRef(0);

  const load = useCallback(
    async (page: string | null) => {
      const mine = ++request.current;
      setLoading(page ? "more" : "first");
      setError(null);
      try {
        const answer = await projectsList(page, query || null);
        if (mine !== request.current) return;
        setItems((before) => {
          if (!page) return answer.projects;
          const known = new Set(before.map((p) => p.slug));
          return [...before, ...answer.projects.filter((p) => !known.has(p.slug))];
        });
        setNextPage(answer.next_page);
        if (!page) setListedAt(Date.now());
      } catch (e) {
        if (mine === request.current) setError(errorReport(e));
      } finally {
        if (mine === request.current) setLoading(null);
      }
    },
    [query],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  const rows = useMemo(() => {
    const prefix = query ? slugify(query) ?? "" : "";
    const listed = new Set(items.map((p) => p.slug));
    // Projects this window started after the listing was read are not in it yet.
    const fresh: ProjectListItem[] = runs
      .filter((r) => r.state.slug && !listed.has(r.state.slug) && r.state.slug.startsWith(prefix))
      .filter((r) => isRunning(r.state) || (r.endedAt ?? 0) >= listedAt)
      .map((r) => ({
        slug: r.state.slug!,
        name: r.state.name ?? r.state.slug!,
        status: "generating",
        files: 0,
        bytes: 0,
        updated_at: new Date(r.startedAt).toISOString(),
        idea: r.idea,
        problem: null,
        activity: null,
      }));
    return [...fresh, ...items].map((item) => withRun(item, runs.find((r) => r.state.slug === item.slug), listedAt));
  }, [items, runs, query, listedAt]);

  return (
    <section className="screen wide" aria-labelledby="projects-title">
      <header className="screen-header with-tools">
        <div>
          <h1 id="projects-title">Projects</h1>
          <p className="lead">Every app you generate is kept in your storage bucket and listed here.</p>
        </div>
      </header>
      <div className="toolbar">
        <label className="search">
          <SearchIcon width={16} height={16} />
          <span className="visually-hidden">Search projects by name</span>
          <input
            name="search"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="Search by name"
            autoComplete="off"
          />
        </label>
        <button type="button" className="secondary with-icon" onClick={() => void load(null)} disabled={loading === "first"}>
          <RefreshIcon width={16} height={16} />
          Refresh
        </button>
      </div>

      {error && (
        <ErrorBanner error={error} context="Your projects could not be listed.">
          <button type="button" className="secondary" onClick={() => void load(null)}>
            Try again
          </button>
        </ErrorBanner>
      )}

      {loading === "first" && rows.length === 0 && !error && (
        <p className="hint loading-line" role="status">
          Reading your projects from the bucket…
        </p>
      )}

      {!loading && !error && rows.length === 0 && !query && (
        <div className="empty-state card">
          <FolderIcon width={40} height={40} />
          <h2>No projects yet</h2>
          <p>Generate your first app and it will appear here, ready to preview and export.</p>
          <button type="button" className="secondary" onClick={() => go("generate")}>
            Go to Generate
          </button>
        </div>
      )}

      {!loading && !error && rows.length === 0 && query && (
        <div className="empty-state card">
          <SearchIcon width={40} height={40} />
          <h2>No project names start with “{query}”</h2>
          <p>Search looks at the start of each project's short name. Try fewer letters.</p>
          <button type="button" className="secondary" onClick={() => setSearch("")}>
            Clear search
          </button>
        </div>
      )}

      {rows.length > 0 && (
        <div className="card project-list">
          <div className="project-row project-head" aria-hidden="true">
            <span>Name</span>
            <span>Status</span>
            <span className="num">Files</span>
            <span className="num">Size</span>
            <span>Updated</span>
          </div>
          <ul aria-label="Projects">
            {rows.map((p) => (
              <li key={p.slug}>
                <button
                  type="button"
                  className="project-row"
                  data-testid="project-row"
                  data-slug={p.slug}
                  data-status={p.status ?? "unknown"}
                  data-problem={p.problem?.code}
                  onClick={() => openProject(p.slug)}
                >
                  <span className="project-name">
                    <strong>{p.name}</strong>
                    <span className="project-sub" title={p.problem?.message ?? p.idea ?? undefined}>
                      {p.problem?.message ??
                        (p.activity && !p.activity.interrupted
                          ? `Being written by ${p.activity.owner}, checked in ${formatAgo(p.activity.seconds_since_check_in)}`
                          : p.slug)}
                    </span>
                  </span>
                  <span>
                    <StatusBadge status={p.status} interrupted={p.activity?.interrupted ?? false} problem={p.problem?.code ?? null} />
                  </span>
                  <span className="num" data-testid="project-file-count">
                    {p.files}
                  </span>
                  <span className="num" data-testid="project-size">
                    {formatBytes(p.bytes)}
                  </span>
                  <span className="project-date" data-testid="project-updated">
                    {formatDate(p.updated_at)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {nextPage && (
            <div className="list-more">
              <button type="button" className="secondary" onClick={() => void load(nextPage)} disabled={loading !== null}>
                {loading === "more" ? "Loading…" : "Load more"}
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
