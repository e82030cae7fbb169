import { useEffect, useState } from "react";
import { errorMessage, version } from "./api";
import Sidebar, { type Screen } from "./components/Sidebar";
import GenerateScreen from "./screens/Generate";
import ProjectsScreen from "./screens/Projects";
import SettingsScreen from "./screens/Settings";

export default function App() {
  const [screen, setScreen] = useState<Screen>("generate");
  const [appVersion, setAppVersion] = useState<string | null>(null);
  const [versionError, setVersionError] = useState<string | null>(null);

  useEffect(() => {
    version()
      .then(setAppVersion)
      .catch((e: unknown) => setVersionError(errorMessage(e)));
  }, []);

  return (
    <div className="app">
      <Sidebar
        current={screen}
        onSelect={setScreen}
        version={appVersion}
        versionError={versionError}
      />
      <main className="content" aria-live="polite">
        {screen === "generate" && <GenerateScreen />}
        {screen === "projects" && <ProjectsScreen onGenerate={() => setScreen("generate")} />}
        {screen === "settings" && <SettingsScreen />}
      </main>
    </div>
  );
}
