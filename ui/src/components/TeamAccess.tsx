// Settings' "Team access": the IAM policy that confines one person to their own prefix of the
// bucket, to copy for whoever manages it. Made from the bucket as typed; nothing is sent anywhere.
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { useState } from "react";
import { errorMessage, teamPolicy } from "../api";
import type { TeamPolicy } from "../bindings/TeamPolicy";
import { isValidName } from "../slug";
import Field from "./Field";
import { CheckIcon } from "./Icons";

type Shown = { policy: TeamPolicy } | { error: string } | null;

export default function TeamAccess({ bucket, defaultUser }: { bucket: string; defaultUser: string }) {
  const [user, setUser] = useState("");
  const [shown, setShown] = useState<Shown>(null);
  const [copied, setCopied] = useState<"copied" | { error: string } | null>(null);
  const who = user.trim() || defaultUser;
  const problem = isValidName(who) ? null : "Use lowercase letters, digits and “-”, starting with a letter or digit.";

  const show = async () => {
    setCopied(null);
    try {
      setShown({ policy: await teamPolicy(who, bucket) });
    } catch (error) {
      setShown({ error: errorMessage(error) });
    }
  };

  const copy = async (policy: TeamPolicy) => {
    try {
      await writeText(policy.policy);
      setCopied("copied");
    } catch (error) {
      setCopied({ error: `The policy could not be copied: ${errorMessage(error)}` });
    }
  };

  return (
    <fieldset className="card form" data-testid="team-access">
      <legend className="section-title">Team access</legend>
      <p className="hint">
        Several people can share one bucket, each confined by S3 itself to their own projects. Make a policy for each
        person and give it to whoever manages the bucket.
      </p>
      <div className="field-grid">
        <Field label="Their user ID" hint={`The user ID they set in BucketForge; their projects are under projects/${who}/.`} problem={problem}>
          {(control) => (
            <input
              {...control}
              type="text"
              name="team-user"
              value={user}
              placeholder={defaultUser}
              onChange={(e) => {
                setUser(e.target.value);
                setShown(null);
              }}
            />
          )}
        </Field>
      </div>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void show()} disabled={!bucket.trim() || problem !== null}>
          Show policy
        </button>
        <span className="hint">{bucket.trim() ? `For bucket “${bucket.trim()}”.` : "Enter the bucket above first."}</span>
      </div>
      {shown && "error" in shown && (
        <p className="error-text" role="alert">
          {shown.error}
        </p>
      )}
      {shown && "policy" in shown && (
        <div className="team-policy">
          <p>
            This policy lets “{shown.policy.user}” list, open, change and delete projects in {shown.policy.prefix} of
            “{shown.policy.bucket}”, and nothing else.
          </p>
          <pre data-testid="team-policy-json" tabIndex={0}>
            {shown.policy.policy}
          </pre>
          <div className="save-bar">
            <button type="button" className="secondary" onClick={() => void copy(shown.policy)}>
              Copy policy
            </button>
            {copied === "copied" && (
              <span className="success-text" role="status">
                <CheckIcon width={16} height={16} /> Copied
              </span>
            )}
            {copied !== null && copied !== "copied" && (
              <span className="error-text" role="alert">
                {copied.error}
              </span>
            )}
          </div>
          <ol>
            {shown.policy.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
          {shown.policy.other_stores.map((note) => (
            <p key={note} className="hint">
              {note}
            </p>
          ))}
        </div>
      )}
    </fieldset>
  );
}
