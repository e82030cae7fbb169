//! How the window draws on Linux: WebKit's pages are painted by the CPU and the window itself
//! opens no OpenGL, so the app process never loads the system's GL driver.
//!
//! Why: WebKitGTK's UI process opens an EGL display as soon as a web view exists, and with Mesa
//! that loads the whole driver and LLVM: about 60 MB of the app's 165 MB at idle under Xvfb, and
//! time before the first paint, even when pages are drawn without compositing. BucketForge's
//! window is forms, text and a code editor, which the CPU path draws as fast.
//! bench/startup.sh measures the two side by side.
//!
//! How: libglvnd reads the EGL vendors it may load once per process, on its first call. This
//! process makes that call while `__EGL_VENDOR_LIBRARY_FILENAMES` names no vendor, then puts the
//! variable back, so the web process WebKit starts later (which needs EGL to start at all) finds
//! the system's driver as usual. WebKit's UI process, finding no EGL display, draws without
//! compositing. Where libEGL is not libglvnd the variable means nothing and WebKit's default
//! stays.
//!
//! `BUCKETFORGE_GPU=1` keeps WebKit's defaults (GPU compositing), as does any of the variables
//! below already set by the user.

/// Set, keeps WebKit's and GTK's own renderer choices.
pub const KEEP_DEFAULTS: &str = "BUCKETFORGE_GPU";

/// What [`prepare`] did, for the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Renderer {
    /// WebKit and GTK choose (not Linux, or asked for).
    Defaults(&'static str),
    /// The window opens no GL and WebKit paints with the CPU.
    Cpu,
    /// GTK opens no GL, but libEGL could not be kept from WebKit (why), so WebKit chooses.
    GtkOnly(String),
}

/// Chooses the window's renderer. Call it first thing in `main`, while the process has one
/// thread: it changes the environment.
#[cfg(target_os = "linux")]
pub fn prepare() -> Renderer {
    if let Some(reason) = keeps_defaults(|name| std::env::var_os(name).is_some()) {
        return Renderer::Defaults(reason);
    }
    // GTK draws the window with cairo; without this it may open a GL context of its own.
    std::env::set_var("GDK_GL", "disable");
    std::env::set_var(VENDORS, "/dev/null");
    let settled = settle_egl_vendors();
    std::env::remove_var(VENDORS);
    match settled {
        Ok(()) => Renderer::Cpu,
        Err(e) => Renderer::GtkOnly(e),
    }
}

/// Why WebKit's and GTK's defaults stay, if they do, given which variables are `set`.
#[cfg(target_os = "linux")]
fn keeps_defaults(set: impl Fn(&str) -> bool) -> Option<&'static str> {
    if set(KEEP_DEFAULTS) {
        return Some("BUCKETFORGE_GPU is set");
    }
    CHOSEN_BY
        .into_iter()
        .any(set)
        .then_some("the environment already chooses the renderer")
}

/// Variables that, set by the user, already choose how GTK or WebKit draws.
#[cfg(target_os = "linux")]
const CHOSEN_BY: [&str; 4] = [
    "GDK_GL",
    VENDORS,
    "WEBKIT_DISABLE_COMPOSITING_MODE",
    "WEBKIT_FORCE_COMPOSITING_MODE",
];

/// Elsewhere WebKit is not GTK's, and the defaults stay.
#[cfg(not(target_os = "linux"))]
pub fn prepare() -> Renderer {
    Renderer::Defaults("only Linux's WebKitGTK is tuned")
}

/// libglvnd's variable: the vendor files to load instead of those it finds itself.
#[cfg(target_os = "linux")]
const VENDORS: &str = "__EGL_VENDOR_LIBRARY_FILENAMES";

/// Makes libEGL's first call now, so it settles on the vendors the environment names now.
#[cfg(target_os = "linux")]
fn settle_egl_vendors() -> Result<(), String> {
    type GetDisplay = unsafe extern "C" fn(*mut std::ffi::c_void) -> *mut std::ffi::c_void;
    // SAFETY: libEGL's initialisers only set up its dispatch tables; the library stays loaded
    // (WebKit links it too), and eglGetDisplay has this C signature in every EGL version.
    unsafe {
        let egl = libloading::Library::new("libEGL.so.1").map_err(|e| e.to_string())?;
        let get_display = egl
            .get::<GetDisplay>(b"eglGetDisplay\0")
            .map_err(|e| e.to_string())?;
        // EGL_DEFAULT_DISPLAY. With no vendor this is EGL_NO_DISPLAY, as wanted.
        let display = get_display(std::ptr::null_mut());
        // Unloading would let a later load read the variable again.
        std::mem::forget(egl);
        if display.is_null() {
            Ok(())
        } else {
            Err("libEGL opened a display anyway (it is not libglvnd)".into())
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_renderer_the_user_chose_is_kept() {
        let only = |name: &'static str| move |asked: &str| asked == name;
        assert_eq!(keeps_defaults(|_| false), None);
        assert_eq!(
            keeps_defaults(only("BUCKETFORGE_GPU")),
            Some("BUCKETFORGE_GPU is set")
        );
        for name in CHOSEN_BY {
            assert_eq!(
                keeps_defaults(only(name)),
                Some("the environment already chooses the renderer"),
                "{name}"
            );
        }
        assert_eq!(keeps_defaults(only("WEBKIT_DISABLE_DMABUF_RENDERER")), None);
    }
}
