import { useState } from "react";

/** Why Generate can't run yet; shown as the button's tooltip and under it. */
export const GENERATE_UNAVAILABLE =
  "Generating needs a storage bucket and an AI provider. Connecting them arrives in the next version of BucketForge.";

export default function GenerateScreen() {
  const [idea, setIdea] = useState("");
  const [name, setName] = useState("");

  return (
    <section className="screen" aria-labelledby="generate-title">
      <header className="screen-header">
        <h1 id="generate-title">Generate an app</h1>
        <p className="lead">
          Describe the app you want in your own words. BucketForge plans it, writes every file and
          saves the project to your storage bucket.
        </p>
      </header>
      <form className="card form" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span className="label">Your idea</span>
          <textarea
            name="idea"
            rows={7}
            value={idea}
            onChange={(e) => setIdea(e.target.value)}
            placeholder="A to-do list where I can add tasks, tick them off and filter by done or not done."
          />
        </label>
        <label className="field">
          <span className="label">
            Project name <span className="optional">(optional)</span>
          </span>
          <input
            name="project-name"
            type="text"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="My to-do list"
          />
        </label>
        <div className="actions">
          {/* A disabled button gets no hover events, so the tooltip sits on its wrapper. */}
          <span className="tooltip-anchor" title={GENERATE_UNAVAILABLE}>
            <button type="submit" className="primary" disabled aria-describedby="generate-why">
              Generate
            </button>
          </span>
          <p id="generate-why" className="hint">
            {GENERATE_UNAVAILABLE}
          </p>
        </div>
      </form>
    </section>
  );
}
