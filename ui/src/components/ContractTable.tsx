// The plan's API as a small table: "API: 5 endpoints, 1 model", then each endpoint.
import type { Contract } from "../bindings/Contract";

export default function ContractTable({ contract }: { contract: Contract }) {
  const n = contract.endpoints.length;
  const m = contract.models.length;
  return (
    <details className="contract" data-testid="contract">
      <summary data-testid="contract-summary">
        API: {n} endpoint{n === 1 ? "" : "s"}
        {m > 0 && `, ${m} model${m === 1 ? "" : "s"}`}
      </summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Method</th>
            <th scope="col">Path</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {contract.endpoints.map((e) => (
            <tr key={`${e.method} ${e.path}`}>
              <td className="num">{e.method}</td>
              <td>
                <code>{e.path}</code>
              </td>
              <td>{e.action === "custom" ? "custom" : `${e.action} ${e.model ?? ""}`.trim()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
