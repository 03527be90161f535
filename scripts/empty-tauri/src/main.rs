//! An empty Tauri 2 app: one window with a static page and nothing else.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty app runs");
}
