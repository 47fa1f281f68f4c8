//! `e` in the explorer, through the real loop, runtime and editor: the terminal is handed to
//! the editor and taken back, the change is applied, and the report and the object's change
//! show on screen. One test in its own binary: it sets the editor for the whole process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use common::console::{explorer, quit, typed};
use kx::config::keys::KeyMap;
use kx::tui::session::Session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_hands_the_terminal_to_the_editor_and_takes_it_back() {
    let c = TestCluster::start(false).await;
    let editor = c.dir.path().join("editor.sh");
    // Scales web to 4 by changing the first `replicas:` of the file it is given.
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i '0,/replicas: [0-9]*/s//replicas: 4/' \"$1\"\n",
    )
    .expect("write editor");
    // SAFETY: the only test of this binary, before anything reads the environment.
    unsafe {
        std::env::set_var("KUBE_EDITOR", format!("/bin/sh {}", editor.display()));
        std::env::set_var("TMPDIR", c.dir.path());
    }
    let session = Session::new("kx-sim".into(), Some("shop".into()), KeyMap::load(None));
    let (task, keys, record) = explorer(c.client().await, session, None);
    record.until_frame(" rows", 20).await;
    typed(&keys, ":deploy\r").await;
    record.until_frame("web", 20).await;
    typed(&keys, "/^web$\r").await;
    record.until_frame("1/", 5).await;
    typed(&keys, "e").await;
    record
        .until_frame("edited deployments/web -n shop: spec.replicas 3→4", 20)
        .await;
    assert_eq!(
        record
            .handovers
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default(),
        ["suspend", "resume"],
        "the editor had the terminal, then the explorer again"
    );
    let replicas = c
        .jsonpath(&["deploy", "web", "-n", "shop"], "{.spec.replicas}")
        .await;
    assert_eq!(replicas, "4");
    // The change kx made is the first thing the diff shows.
    typed(&keys, "D").await;
    record.until_frame("spec.replicas 3→4", 10).await;
    quit(&keys, task, 5).await;
    c.sim.stop().await;
}
