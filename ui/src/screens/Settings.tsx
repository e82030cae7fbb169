// Where projects are stored and which AI writes them, with live connection tests; keys go to the keyring only.
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { errorMessage, llmCheck, llmModels, secretDelete, settingsSaveAll, storageCheck, storagePresets } from "../api";
import type { NewSecret } from "../bindings/NewSecret";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { LlmCheck } from "../bindings/LlmCheck";
import type { ModelInfo } from "../bindings/ModelInfo";
import type { ProviderKind } from "../bindings/ProviderKind";
import type { SecretSlot } from "../bindings/SecretSlot";
import type { Settings } from "../bindings/Settings";
import type { SettingsView } from "../bindings/SettingsView";
import type { StorageKind } from "../bindings/StorageKind";
import type { StoragePreset } from "../bindings/StoragePreset";
import { LIMITS } from "../bindings/userLimits";
import CopyDiagnostics from "../components/CopyDiagnostics";
import TeamAccess from "../components/TeamAccess";
import UpdatesCard from "../components/UpdatesCard";
import Field from "../components/Field";
import { AlertIcon, CheckIcon } from "../components/Icons";
import SecretField from "../components/SecretField";
import { useDebounced } from "../hooks";
import { useSetup } from "../setup";
import { isValidName } from "../slug";

const STORAGE_KINDS: { kind: StorageKind; label: string; description: string }[] = [
  { kind: "local", label: "Built-in local bucket", description: "On this computer. Nothing to set up; other devices can't see it." },
  { kind: "amazon-s3", label: "Amazon S3", description: "A bucket in your AWS account, with an access key." },
  { kind: "s3-compatible", label: "S3-compatible service", description: "Cloudflare R2, MinIO, Garage, Backblaze B2, Wasabi and others." },
  { kind: "aws-profile", label: "AWS CLI profile", description: "A profile from ~/.aws/config, including SSO sign-in." },
];

const OTHER_MODEL = "\u0000other";
const PLACEHOLDER = /\{(account|region)\}/;

type Outcome<T> = { ok: T } | { error: string } | null;

function needsStorageSecret(settings: Settings): boolean {
  return settings.storage.kind === "amazon-s3" || settings.storage.kind === "s3-compatible";
}

export default function SettingsScreen() {
  const { view } = useSetup();
  if (!view) {
    return (
      <section className="screen" aria-labelledby="settings-title">
        <header className="screen-header">
          <h1 id="settings-title">Settings</h1>
        </header>
        <p className="hint loading-line" role="status">
          Reading your settings…
        </p>
      </section>
    );
  }
  return <SettingsForm view={view} />;
}

function SettingsForm({ view }: { view: SettingsView }) {
  const { providers, update } = useSetup();
  const [draft, setDraft] = useState<Settings>(view.settings);
  const [userId, setUserId] = useState(view.settings.user_id ?? "");
  const [storageSecret, setStorageSecret] = useState<string | null>(null);
  const [llmKey, setLlmKey] = useState<string | null>(null);
  const [presets, setPresets] = useState<StoragePreset[]>([]);
  const [saving, setSaving] = useState<null | "save" | "storage" | "llm">(null);
  const [saveOutcome, setSaveOutcome] = useState<Outcome<string>>(null);
  const [storageOutcome, setStorageOutcome] = useState<Outcome<ConnectionReport>>(null);
  const [llmOutcome, setLlmOutcome] = useState<Outcome<LlmCheck>>(null);

  useEffect(() => {
    storagePresets()
      .then(setPresets)
      .catch(() => setPresets([]));
  }, []);

  const storage = draft.storage;
  const llm = draft.llm;
  const provider = providers.find((p) => p.kind === llm.provider);
  const keyringProblem = view.secrets.keyring_error
    ? `Keys can't be saved right now: ${view.secrets.keyring_error.message}`
    : null;
  const llmKeySaved = view.secrets.llm_api_keys.includes(llm.provider);
  const userIdProblem =
    userId.trim() && !isValidName(userId.trim())
      ? `Use lowercase letters, digits and “-”, starting with a letter or digit, at most ${LIMITS.max_name_chars} characters.`
      : null;
  const allowed = LIMITS.concurrency;
  const concurrencyProblem =
    !Number.isInteger(draft.concurrency) || draft.concurrency < allowed.min || draft.concurrency > allowed.max
      ? `Choose a number from ${allowed.min} to ${allowed.max}.`
      : null;

  const setStorage = (change: Partial<Settings["storage"]>) => setDraft((d) => ({ ...d, storage: { ...d.storage, ...change } }));
  const setLlm = (change: Partial<Settings["llm"]>) => setDraft((d) => ({ ...d, llm: { ...d.llm, ...change } }));

  const dirty =
    JSON.stringify({ ...draft, user_id: userId.trim() || null }) !== JSON.stringify(view.settings) ||
    Boolean(storageSecret) ||
    Boolean(llmKey);

  /** Saves the settings and any key typed since, in one command. */
  const persist = async (): Promise<SettingsView> => {
    if (userIdProblem || concurrencyProblem) throw new Error(userIdProblem ?? concurrencyProblem ?? "");
    const secrets: NewSecret[] = [];
    if (storageSecret && needsStorageSecret(draft)) secrets.push({ slot: { kind: "storage_secret_key" }, value: storageSecret });
    if (llmKey) secrets.push({ slot: { kind: "llm_api_key", provider: draft.llm.provider }, value: llmKey });
    // One save for both, all or nothing; the typed keys are dropped once they are in the keyring.
    const next = await settingsSaveAll({ ...draft, user_id: userId.trim() || null, onboarded: true }, secrets);
    if (storageSecret) setStorageSecret(null);
    if (llmKey) setLlmKey(null);
    update(next);
    setDraft(next.settings);
    setUserId(next.settings.user_id ?? "");
    return next;
  };

  const run = async (what: "save" | "storage" | "llm") => {
    setSaving(what);
    setSaveOutcome(null);
    if (what === "storage") setStorageOutcome(null);
    if (what === "llm") setLlmOutcome(null);
    try {
      await persist();
    } catch (e) {
      // The error goes where the user is looking: beside the button they pressed.
      const outcome = { error: `Your settings were not saved, so nothing was tested. ${errorMessage(e)}` };
      if (what === "storage") setStorageOutcome(outcome);
      else if (what === "llm") setLlmOutcome(outcome);
      else setSaveOutcome({ error: `Your settings were not saved. ${errorMessage(e)}` });
      setSaving(null);
      return;
    }
    try {
      if (what === "save") setSaveOutcome({ ok: "Settings saved." });
      if (what === "storage") setStorageOutcome({ ok: await storageCheck() });
      if (what === "llm") setLlmOutcome({ ok: await llmCheck() });
    } catch (e) {
      const outcome = { error: errorMessage(e) };
      if (what === "storage") setStorageOutcome(outcome);
      if (what === "llm") setLlmOutcome(outcome);
    } finally {
      setSaving(null);
    }
  };

  const removeSecret = async (slot: SecretSlot) => {
    update(await secretDelete(slot));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run("save");
  };

  return (
    <section className="screen" aria-labelledby="settings-title">
      <header className="screen-header">
        <h1 id="settings-title">Settings</h1>
        <p className="lead">Where your projects are stored and which AI writes them.</p>
      </header>

      {view.settings_error && (
        <div className="banner is-error" role="alert">
          <AlertIcon width={18} height={18} />
          <p>
            {view.settings_error.message} Check the settings below and save them to start fresh.
          </p>
        </div>
      )}
      {view.secrets.keyring_error && (
        <div className="banner is-warning" role="alert" data-testid="keyring-error">
          <AlertIcon width={18} height={18} />
          <p>
            {asSentence(view.secrets.keyring_error.message)} BucketForge keeps keys only in your system keyring, so keys
            can't be saved or used until it works. Everything else can still be saved.
          </p>
        </div>
      )}

      <form className="settings" onSubmit={submit} noValidate>
        <fieldset className="card form">
          <legend className="section-title">Storage</legend>
          <div className="choice-list" role="radiogroup" aria-label="Where projects are kept">
            {STORAGE_KINDS.map((k) => (
              <label key={k.kind} className={`choice${storage.kind === k.kind ? " is-checked" : ""}`}>
                <input type="radio" name="storage-kind" value={k.kind} checked={storage.kind === k.kind} onChange={() => setStorage({ kind: k.kind })} />
                <span>
                  <span className="choice-label">{k.label}</span>
                  <span className="hint">{k.description}</span>
                </span>
              </label>
            ))}
          </div>

          {storage.kind === "s3-compatible" && (
            <PresetPicker
              presets={presets}
              current={storage.preset}
              onPick={(p) =>
                p
                  ? setStorage({ preset: p.id, endpoint: p.endpoint, region: p.region, path_style: p.path_style })
                  : setStorage({ preset: null })
              }
            />
          )}

          {storage.kind !== "local" && (
            <div className="field-grid">
              <TextField label="Bucket" name="bucket" value={storage.bucket} onChange={(v) => setStorage({ bucket: v })} placeholder="my-apps" />
              <TextField
                label="Region"
                name="region"
                value={storage.region}
                onChange={(v) => setStorage({ region: v })}
                placeholder="us-east-1"
                optional={storage.kind !== "s3-compatible"}
              />
            </div>
          )}

          {storage.kind === "s3-compatible" && (
            <>
              <TextField
                label="Endpoint (the service's address)"
                name="endpoint"
                value={storage.endpoint}
                onChange={(v) => setStorage({ endpoint: v })}
                placeholder="https://…"
                problem={
                  PLACEHOLDER.test(storage.endpoint)
                    ? `Replace {${PLACEHOLDER.exec(storage.endpoint)![1]}} with your own ${PLACEHOLDER.exec(storage.endpoint)![1]}.`
                    : null
                }
              />
              <label className="check">
                <input type="checkbox" name="path-style" checked={storage.path_style} onChange={(e) => setStorage({ path_style: e.target.checked })} />
                Path-style addresses (needed by MinIO, Garage and most self-hosted services)
              </label>
            </>
          )}

          {(storage.kind === "amazon-s3" || storage.kind === "s3-compatible") && (
            <div className="field-grid">
              <TextField
                label="Access key ID"
                name="access-key-id"
                value={storage.access_key_id}
                onChange={(v) => setStorage({ access_key_id: v })}
                placeholder="AKIA…"
              />
              <SecretField
                label="Secret access key"
                name="secret-access-key"
                saved={view.secrets.storage_secret_key}
                value={storageSecret}
                onChange={setStorageSecret}
                onRemove={() => removeSecret({ kind: "storage_secret_key" })}
                unavailable={keyringProblem}
              />
            </div>
          )}

          {storage.kind === "aws-profile" && (
            <TextField
              label="Profile name"
              name="aws-profile"
              value={storage.aws_profile}
              onChange={(v) => setStorage({ aws_profile: v })}
              placeholder="default"
              hint="As in ~/.aws/config. For SSO, sign in first with “aws sso login”."
            />
          )}

          {storage.kind === "local" && (
            <p className="hint">
              Projects are kept in a bucket that BucketForge runs on this computer. You can switch to your own bucket at
              any time; existing projects stay where they are.
            </p>
          )}

          <div className="actions">
            <button type="button" className="secondary" data-testid="storage-test" onClick={() => void run("storage")} disabled={saving !== null}>
              {saving === "storage" ? "Testing…" : "Test connection"}
            </button>
            <span className="hint">Saves, then lists, writes, reads, copies and deletes a small test file.</span>
          </div>
          <CheckResult outcome={storageOutcome} testId="storage-result">
            {(r) => (
              <>
                <p>
                  Connected to “{r.bucket}” ({r.region}
                  {r.endpoint ? `, ${r.endpoint}` : ""}) in {r.elapsed_ms} ms.
                </p>
                {r.notes.length > 0 && (
                  <ul>
                    {r.notes.map((n) => (
                      <li key={n}>{n}</li>
                    ))}
                  </ul>
                )}
              </>
            )}
          </CheckResult>
        </fieldset>

        <fieldset className="card form">
          <legend className="section-title">AI provider</legend>
          <div className="field-grid">
            <Field label="Provider">
              {(control) => (
                <select
                  {...control}
                  name="llm-provider"
                  value={llm.provider}
                  onChange={(e) => {
                    setLlm({ provider: e.target.value as ProviderKind, model: "", base_url: "" });
                    setLlmKey(null);
                    setLlmOutcome(null);
                  }}
                >
                  {providers.map((p) => (
                    <option key={p.kind} value={p.kind}>
                      {p.name}
                      {p.local ? " (on this computer)" : ""}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {provider && (provider.local || provider.kind === "custom") && (
              <TextField
                label={provider.kind === "custom" ? "Address (OpenAI-compatible)" : "Address"}
                name="llm-base-url"
                value={llm.base_url}
                onChange={(v) => setLlm({ base_url: v })}
                placeholder={provider.default_base_url ?? "https://…/v1"}
                optional={provider.kind !== "custom"}
              />
            )}
          </div>
          {provider && (provider.key_required || provider.kind === "custom") && (
            <SecretField
              label={`${provider.name} API key`}
              name="llm-api-key"
              saved={llmKeySaved}
              value={llmKey}
              onChange={setLlmKey}
              onRemove={() => removeSecret({ kind: "llm_api_key", provider: llm.provider })}
              unavailable={keyringProblem}
              optional={!provider.key_required}
              hint={provider.env_var ? `Kept in your system keyring, never in a file. The command line also reads ${provider.env_var}.` : undefined}
            />
          )}
          {provider && (
            <ModelPicker
              key={provider.kind}
              provider={provider.kind}
              providerName={provider.name}
              knownModels={provider.known_models}
              keyNeeded={provider.key_required && !llmKeySaved}
              typedKey={llmKey}
              baseUrl={llm.base_url}
              savedAddress={`${view.settings.llm.provider} ${view.settings.llm.base_url} ${llmKeySaved}`}
              checked={llmOutcome && "ok" in llmOutcome ? llmOutcome.ok.models : null}
              value={llm.model}
              onChange={(model) => setLlm({ model })}
            />
          )}
          <div className="actions">
            <button type="button" className="secondary" data-testid="llm-test" onClick={() => void run("llm")} disabled={saving !== null}>
              {saving === "llm" ? "Testing…" : "Test connection"}
            </button>
            <span className="hint">Saves, then asks the provider for its models with your key.</span>
          </div>
          <CheckResult outcome={llmOutcome} testId="llm-result">
            {(r) => (
              <p>
                {r.provider} answered in {r.elapsed_ms} ms; the model “{r.model}” is ready.
              </p>
            )}
          </CheckResult>
        </fieldset>

        <fieldset className="card form">
          <legend className="section-title">Generation</legend>
          <div className="field-grid">
            <TextField
              label="User ID"
              name="user-id"
              value={userId}
              onChange={setUserId}
              placeholder={view.default_user_id}
              hint={`Your projects are kept under projects/${userId.trim() || view.default_user_id}/ in the bucket. Leave it empty to use “${view.default_user_id}”.`}
              problem={userIdProblem}
              optional
            />
            <Field
              label="Files written at once"
              hint="More is faster; lower it if your provider limits requests."
              problem={concurrencyProblem}
            >
              {(control) => (
                <input
                  {...control}
                  name="concurrency"
                  type="number"
                  min={LIMITS.concurrency.min}
                  max={LIMITS.concurrency.max}
                  value={Number.isNaN(draft.concurrency) ? "" : draft.concurrency}
                  onChange={(e) => setDraft((d) => ({ ...d, concurrency: e.target.valueAsNumber }))}
                />
              )}
            </Field>
          </div>
        </fieldset>

        <UpdatesCard settings={draft.updates} onChange={(change) => setDraft((d) => ({ ...d, updates: { ...d.updates, ...change } }))} />

        <div className="save-bar">
          <button type="submit" className="primary" disabled={saving !== null}>
            {saving === "save" ? "Saving…" : "Save"}
          </button>
          <span className="hint" aria-live="polite">
            {dirty && saving === null && !saveOutcome ? "You have unsaved changes." : ""}
          </span>
          {saveOutcome && "ok" in saveOutcome && (
            <span className="success-text" role="status">
              <CheckIcon width={16} height={16} /> {saveOutcome.ok}
            </span>
          )}
          {saveOutcome && "error" in saveOutcome && (
            <span className="error-text" role="alert">
              {saveOutcome.error}
            </span>
          )}
        </div>
      </form>

      {storage.kind !== "local" && <TeamAccess bucket={storage.bucket} defaultUser={userId.trim() || view.default_user_id} />}

      <CopyDiagnostics />
    </section>
  );
}

/** A message with a full stop, so another sentence can follow it. */
function asSentence(message: string): string {
  return /[.!?]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`;
}

function TextField(props: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  hint?: string;
  problem?: string | null;
  optional?: boolean;
}) {
  return (
    <Field label={props.label} optional={props.optional} hint={props.hint} problem={props.problem}>
      {(control) => (
        <input
          {...control}
          name={props.name}
          type="text"
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder={props.placeholder}
          autoComplete="off"
          spellCheck={false}
        />
      )}
    </Field>
  );
}

function PresetPicker({ presets, current, onPick }: { presets: StoragePreset[]; current: string | null; onPick: (preset: StoragePreset | null) => void }) {
  const chosen = presets.find((p) => p.id === current);
  return (
    <Field label="Service" hint={chosen ? chosen.help : "Choosing a service fills in its address, region and address style."}>
      {(control) => (
        <select
          {...control}
          name="storage-preset"
          value={chosen ? chosen.id : ""}
          onChange={(e) => onPick(presets.find((p) => p.id === e.target.value) ?? null)}
        >
          <option value="">Another S3-compatible service</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function CheckResult<T>({ outcome, testId, children }: { outcome: Outcome<T>; testId: string; children: (ok: T) => ReactNode }) {
  if (!outcome) return null;
  if ("error" in outcome) {
    return (
      <div className="banner is-error" role="alert" data-testid={testId} data-result="error">
        <AlertIcon width={18} height={18} />
        <p>{outcome.error}</p>
      </div>
    );
  }
  return (
    <div className="banner is-success" role="status" data-testid={testId} data-result="success">
      <CheckIcon width={18} height={18} />
      <div>{children(outcome.ok)}</div>
    </div>
  );
}

function ModelPicker(props: {
  provider: ProviderKind;
  providerName: string;
  knownModels: string[];
  keyNeeded: boolean;
  /** A key typed on screen and not saved yet: the list is asked for with it, at the typed address. */
  typedKey: string | null;
  baseUrl: string;
  /**
   * What is saved (provider, address, whether a key is): a saved key goes only to its saved
   * address, so the list is asked for again once those change.
   */
  savedAddress: string;
  /** Models from the last successful Test connection, fresher than anything else. */
  checked: ModelInfo[] | null;
  value: string;
  onChange: (model: string) => void;
}) {
  const { provider, providerName, knownModels, keyNeeded, savedAddress, checked, value, onChange } = props;
  const baseUrl = useDebounced(props.baseUrl.trim(), 500);
  const typedKey = useDebounced(props.typedKey?.trim() || null, 500);
  const [listed, setListed] = useState<ModelInfo[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [other, setOther] = useState(false);

  useEffect(() => {
    if (keyNeeded && !typedKey) {
      setListed(null);
      setNote(`Save your ${providerName} API key to see every model it offers.`);
      return;
    }
    let live = true;
    setNote(`Asking ${providerName} for its models…`);
    llmModels(provider, baseUrl || null, typedKey)
      .then((models) => {
        if (!live) return;
        setListed(models);
        setNote(models.length === 0 ? `${providerName} listed no models; choose a usual one or type a name.` : null);
      })
      .catch((e: unknown) => {
        if (!live) return;
        setListed(null);
        setNote(`Showing the usual ${providerName} models: the full list could not be read. ${errorMessage(e)}`);
      });
    return () => {
      live = false;
    };
  }, [provider, providerName, baseUrl, typedKey, keyNeeded, savedAddress]);

  const models = useMemo(() => {
    const answered = checked?.length ? checked : listed?.length ? listed : null;
    if (!answered) return knownModels.map((id) => ({ id, label: id }));
    return answered.map((m) => ({ id: m.id, label: m.display_name && m.display_name !== m.id ? `${m.display_name} (${m.id})` : m.id }));
  }, [checked, listed, knownModels]);

  const inList = value === "" ? knownModels.length > 0 : models.some((m) => m.id === value);
  const showOther = other || !inList;

  return (
    <div className="field-grid">
      <Field label="Model" hint={(checked?.length ? null : note) ?? `${models.length} models available from ${providerName}.`}>
        {(control) => (
          <select
            {...control}
            name="llm-model"
            value={showOther ? OTHER_MODEL : value}
            onChange={(e) => {
              if (e.target.value === OTHER_MODEL) {
                setOther(true);
              } else {
                setOther(false);
                onChange(e.target.value);
              }
            }}
          >
            {knownModels.length > 0 && <option value="">Recommended ({knownModels[0]})</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
            <option value={OTHER_MODEL}>Another model…</option>
          </select>
        )}
      </Field>
      {showOther && (
        <TextField label="Model name" name="llm-model-custom" value={value} onChange={onChange} placeholder="e.g. qwen2.5-coder:7b" />
      )}
    </div>
  );
}
