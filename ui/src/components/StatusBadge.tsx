// A project's status from its manifest, as a coloured word.
import type { ProjectStatus } from "../bindings/ProjectStatus";

const LABELS: Record<ProjectStatus, string> = {
  generating: "Generating",
  complete: "Complete",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** `interrupted`: the record says generating, but its run stopped checking in. */
export default function StatusBadge({ status, interrupted = false }: { status: ProjectStatus | null; interrupted?: boolean }) {
  if (status === "generating" && interrupted) {
    return (
      <span className="badge is-interrupted" data-testid="status-badge">
        Interrupted
      </span>
    );
  }
  return (
    <span className={`badge is-${status ?? "unknown"}`} data-testid="status-badge">
      {status === "generating" && <span className="pulse" aria-hidden="true" />}
      {status ? LABELS[status] : "No record"}
    </span>
  );
}
