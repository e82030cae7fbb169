// The window: the first-run welcome, or the sidebar and the screen the user is on; runs live above both.
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { errorMessage, version } from "./api";
import Mark from "./components/Mark";
import Sidebar from "./components/Sidebar";
import { NavigationContext, type Navigation, type ProjectTab, type Screen } from "./navigation";
import { RunsProvider, useRuns } from "./runs";
import GenerateScreen from "./screens/Generate";
import { SetupProvider, useSetup } from "./setup";
import { availableVersion, UpdatesProvider, useUpdates } from "./updates";

// The screens a start doesn't show are not in the first script: the first frame waits only for
// Generate's code (see index.html for the frame before any script). They load once the window is up.
const loadProjects = () => import("./screens/Projects");
const loadSettings = () => import("./screens/Settings");
const ProjectsScreen = lazy(loadProjects);
const SettingsScreen = lazy(loadSettings);
const Welcome = lazy(() => import("./screens/Welcome"));

export default function App() {
  return (
    <SetupProvider>
      <UpdatesProvider>
        <RunsProvider>
          <Shell />
        </RunsProvider>
      </UpdatesProvider>
    </SetupProvider>
  );
}

interface Route {
  screen: Screen;
  project: { slug: string; tab: ProjectTab } | null;
}

function Shell() {
  const { view, loadError, reload } = useSetup();
  const { running } = useRuns();
  const updates = useUpdates();
  const [route, setRoute] = useState<Route>({ screen: "generate", project: null });
  const [welcomeSkipped, setWelcomeSkipped] = useState(false);
  const [appVersion, setAppVersion] = useState<string | null>(null);
  const [versionError, setVersionError] = useState<string | null>(null);

  useEffect(() => {
    // Loaded after the first render, so a click on Projects or Settings rarely waits for them.
    void loadProjects();
    void loadSettings();
    version()
      .then(setAppVersion)
      .catch((e: unknown) => setVersionError(errorMessage(e)));
  }, []);

  const navigation = useMemo<Navigation>(
    () => ({
      go: (screen) => setRoute({ screen, project: null }),
      openProject: (slug, tab = "files") => setRoute({ screen: "projects", project: { slug, tab } }),
    }),
    [],
  );

  // Until the settings answer, it isn't known whether the welcome or the screens come first.
  if (!view && !loadError) return <Starting />;

  if (view?.first_run && !welcomeSkipped) {
    return (
      <Suspense fallback={<Starting />}>
        <Welcome
          onDone={() => navigation.go("generate")}
          onSkip={() => {
            setWelcomeSkipped(true);
            navigation.go("settings");
          }}
        />
      </Suspense>
    );
  }

  return (
    <NavigationContext.Provider value={navigation}>
      <div className="app">
        <Sidebar
          current={route.screen}
          onSelect={navigation.go}
          version={appVersion}
          versionError={versionError}
          running={running}
          newVersion={availableVersion(updates.state)}
        />
        <main className="content">
          {loadError && (
            <div className="banner is-error app-banner" role="alert">
              <p>Your settings could not be loaded: {loadError}</p>
              <button type="button" className="secondary" onClick={() => void reload()}>
                Try again
              </button>
            </div>
          )}
          {route.screen === "generate" && <GenerateScreen />}
          {/* A boundary per screen: the one left is gone, never kept hidden while the next one loads. */}
          <Suspense key={route.screen} fallback={<p className="hint loading-line">Opening…</p>}>
            {route.screen === "projects" && <ProjectsScreen slug={route.project?.slug ?? null} tab={route.project?.tab ?? "files"} />}
            {route.screen === "settings" && <SettingsScreen />}
          </Suspense>
        </main>
      </div>
    </NavigationContext.Provider>
  );
}

/** What shows while the settings are read: index.html paints the same before any script runs. */
function Starting() {
  return (
    <main className="welcome" aria-busy="true">
      <div className="starting">
        <Mark size={64} />
        <p className="hint loading-line">Starting BucketForge…</p>
      </div>
    </main>
  );
}
