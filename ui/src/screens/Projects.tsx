import { FolderIcon } from "../components/Icons";

export default function ProjectsScreen({ onGenerate }: { onGenerate: () => void }) {
  return (
    <section className="screen" aria-labelledby="projects-title">
      <header className="screen-header">
        <h1 id="projects-title">Projects</h1>
        <p className="lead">Every app you generate is kept in your storage bucket and listed here.</p>
      </header>
      <div className="empty-state card">
        <FolderIcon width={40} height={40} />
        <h2>No projects yet</h2>
        <p>Generate your first app and it will appear here, ready to preview and export.</p>
        <button type="button" className="secondary" onClick={onGenerate}>
          Go to Generate
        </button>
      </div>
    </section>
  );
}
