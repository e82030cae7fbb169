/**
 * BucketForge's mark, from ui/public: a file of its own at a fixed path, so index.html's first
 * frame (painted before any script) shows the same image App renders.
 */
export default function Mark({ size }: { size: number }) {
  return <img src="/mark.svg" alt="" width={size} height={size} />;
}
