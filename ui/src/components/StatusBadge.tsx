// A project's status from its manifest, as a coloured word.
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ProjectStatus } from "../bindings/ProjectStatus";

const LABELS: Record<ProjectStatus, string> = {
  generating: "Generating",
  complete: "Complete",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** Without a status, why the record could not be read decides the word. */
function withoutStatus(problem: ErrorCode | null): string {
  if (problem === null || problem === "manifest_missing") return "No record";
  if (problem === "manifest_too_new") return "Newer version";
  return "Unreadable";
}

interface Props {
  status: ProjectStatus | null;
  /** The record says generating, but its run stopped checking in. */
  interrupted?: boolean;
  /** The code of the error that kept the record from being read, if one did. */
  problem?: ErrorCode | null;
}

export default function StatusBadge({ status, interrupted = false, problem = null }: Props) {
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
      {status ? LABELS[status] : withoutStatus(problem)}
    </span>
  );
}
