// The first-run welcome: the built-in bucket plus a local Ollama or one API key, and straight on to Generate.
import { useEffect, useState, type FormEvent } from "react";
import { errorMessage, ollamaDetect, settingsSaveAll } from "../api";
import type { DetectedOllama } from "../bindings/DetectedOllama";
import type { ProviderKind } from "../bindings/ProviderKind";
import Field from "../components/Field";
import { AlertIcon, CheckIcon } from "../components/Icons";
import Mark from "../components/Mark";
import { useSetup } from "../setup";

interface Props {
  /** Settings are saved: go to Generate. */
  onDone: () => void;
  /** The user would rather fill in Settings themselves. */
  onSkip: () => void;
}

/** A coding model writes better apps, so one is preselected when Ollama has it. */
function preferredOllamaModel(detected: DetectedOllama): string {
  const ids = detected.models.map((m) => m.id);
  return ids.find((id) => /coder/i.test(id)) ?? ids[0] ?? "";
}

export default function Welcome({ onDone, onSkip }: Props) {
  const { view, providers, update } = useSetup();
  const [detecting, setDetecting] = useState(true);
  const [ollama, setOllama] = useState<DetectedOllama | null>(null);
  const [choice, setChoice] = useState<"ollama" | "key">("key");
  const [ollamaModel, setOllamaModel] = useState("");
  const [provider, setProvider] = useState<ProviderKind>("openai");
  const [apiKey, setApiKey] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    ollamaDetect()
      .then((found) => {
        if (!live) return;
        if (found && found.models.length > 0) {
          setOllama(found);
          setOllamaModel(preferredOllamaModel(found));
          setChoice("ollama");
        }
      })
      // Detection failing is the same as no Ollama: the API key path still works.
      .catch(() => {})
      .finally(() => live && setDetecting(false));
    return () => {
      live = false;
    };
  }, []);

  const cloud = providers.filter((p) => p.key_required);
  const providerName = cloud.find((p) => p.kind === provider)?.name ?? "your provider";
  const keyringProblem = view?.secrets.keyring_error?.message ?? null;
  const reason =
    detecting
      ? "Looking for an AI on this computer…"
      : choice === "ollama"
        ? ollamaModel
          ? null
          : "Choose an Ollama model."
        : keyringProblem
          ? null
          : apiKey.trim()
            ? null
            : `Paste your ${providerName} API key.`;

  const finish = async (e: FormEvent) => {
    e.preventDefault();
    if (!view || reason || saving) return;
    setSaving(true);
    setError(null);
    try {
      const llm =
        choice === "ollama" && ollama
          ? { provider: "ollama" as const, model: ollamaModel, base_url: ollama.base_url }
          : { provider, model: "", base_url: "" };
      // One save for both: if the keyring refuses the key, nothing is marked as set up.
      const secrets = choice === "key" ? [{ slot: { kind: "llm_api_key" as const, provider }, value: apiKey.trim() }] : [];
      const saved = await settingsSaveAll(
        { ...view.settings, storage: { ...view.settings.storage, kind: "local" }, llm, onboarded: true },
        secrets,
      );
      update(saved);
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <main className="welcome">
      <form className="welcome-card card" onSubmit={finish} aria-labelledby="welcome-title" noValidate>
        <Mark size={48} />
        <h1 id="welcome-title">Welcome to BucketForge</h1>
        <p className="lead">Describe an app in your own words and BucketForge writes it for you. Two things to decide:</p>

        {view?.settings_error && (
          <div className="banner is-error" role="alert">
            <AlertIcon width={18} height={18} />
            <p>{view.settings_error.message}</p>
          </div>
        )}

        <section className="welcome-step" aria-labelledby="welcome-storage">
          <h2 id="welcome-storage">
            <span className="step-number">1</span> Where your apps are kept
          </h2>
          <p className="welcome-choice is-checked">
            <CheckIcon width={16} height={16} />
            <span>
              <strong>The built-in bucket on this computer.</strong> Nothing to set up; you can connect your own S3
              bucket later in Settings.
            </span>
          </p>
        </section>

        <section className="welcome-step" aria-labelledby="welcome-ai">
          <h2 id="welcome-ai">
            <span className="step-number">2</span> Which AI writes them
          </h2>
          {detecting && (
            <p className="hint" role="status">
              Looking for Ollama on this computer…
            </p>
          )}
          {!detecting && ollama && (
            <div className="choice-list" role="radiogroup" aria-label="Which AI writes your apps">
              <label className={`choice${choice === "ollama" ? " is-checked" : ""}`}>
                <input type="radio" name="ai-choice" value="ollama" checked={choice === "ollama"} onChange={() => setChoice("ollama")} />
                <span>
                  <span className="choice-label">Ollama on this computer</span>
                  <span className="hint">Free and private: found with {ollama.models.length} model{ollama.models.length === 1 ? "" : "s"}.</span>
                </span>
              </label>
              <label className={`choice${choice === "key" ? " is-checked" : ""}`}>
                <input type="radio" name="ai-choice" value="key" checked={choice === "key"} onChange={() => setChoice("key")} />
                <span>
                  <span className="choice-label">An online AI with an API key</span>
                  <span className="hint">OpenAI, Anthropic, Google Gemini or OpenRouter.</span>
                </span>
              </label>
            </div>
          )}
          {!detecting && choice === "ollama" && ollama && (
            <Field label="Ollama model">
              {(control) => (
                <select {...control} name="ollama-model" value={ollamaModel} onChange={(e) => setOllamaModel(e.target.value)}>
                  {ollama.models.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.display_name ?? m.id}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {!detecting && !ollama && (
            <p className="hint">
              No AI was found running on this computer, so BucketForge needs an API key from one online AI service.
            </p>
          )}
          {!detecting && choice === "key" && (
            <div className="field-grid">
              <Field label="Provider">
                {(control) => (
                  <select {...control} name="llm-provider" value={provider} onChange={(e) => setProvider(e.target.value as ProviderKind)}>
                    {cloud.map((p) => (
                      <option key={p.kind} value={p.kind}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={`${providerName} API key`} hint="Kept in your system keyring, never in a file.">
                {(control) => (
                  <input
                    {...control}
                    name="llm-api-key"
                    type="password"
                    value={apiKey}
                    onChange={(e) => setApiKey(e.target.value)}
                    autoComplete="off"
                    spellCheck={false}
                    placeholder="Paste your key"
                    disabled={keyringProblem !== null}
                  />
                )}
              </Field>
            </div>
          )}
          {!detecting && choice === "key" && keyringProblem && (
            <div className="banner is-warning" role="alert">
              <AlertIcon width={18} height={18} />
              <p>
                {keyringProblem} Until then an API key can't be kept safely; install Ollama to use a free local AI, or
                fix the keyring and restart BucketForge.
              </p>
            </div>
          )}
        </section>

        {error && (
          <div className="banner is-error" role="alert">
            <AlertIcon width={18} height={18} />
            <p>{error}</p>
          </div>
        )}

        <div className="actions welcome-actions">
          <span className="tooltip-anchor" title={reason ?? undefined}>
            <button type="submit" className="primary large" disabled={reason !== null || saving || !view || (choice === "key" && keyringProblem !== null)}>
              {saving ? "Saving…" : "Start generating"}
            </button>
          </span>
          <button type="button" className="link" onClick={onSkip}>
            Set up storage and AI myself
          </button>
        </div>
        {reason && !detecting && <p className="hint">{reason}</p>}
      </form>
    </main>
  );
}
