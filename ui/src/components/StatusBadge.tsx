// A project's status from its manifest, as a coloured word.
import type { ProjectStatus } from "../bindings/ProjectStatus";

const LABELS: Record<ProjectStatus, string> = {
  generating: "Generating",
  complete: "Complete",
  failed: "Failed",
  cancelled: "Cancelled",
};

export default function StatusBadge({ status }: { status: ProjectStatus | null }) {
  return (
    <span className={`badge is-${status ?? "unknown"}`} data-testid="status-badge">
      {status === "generating" && <span className="pulse" aria-hidden="true" />}
      {status ? LABELS[status] : "No record"}
    </span>
  );
}
