use super::*;
use serde_json::json;

fn key(name: &str) -> HistoryKey {
    HistoryKey {
        resource: "deployments.apps".into(),
        namespace: "shop".into(),
        name: name.into(),
    }
}

fn deploy(name: &str, rv: u64, replicas: u64, ready: u64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": "shop", "resourceVersion": rv.to_string(),
                        "generation": replicas, "managedFields": [{"manager": "kubectl"}]},
           "spec": {"replicas": replicas, "template": {"metadata": {"creationTimestamp": null}}},
           "status": {"observedGeneration": replicas, "readyReplicas": ready}})
}

#[test]
fn every_revision_is_kept_and_rebuilt_exactly_with_a_summary_of_what_changed() {
    let mut h = History::default();
    let k = key("web");
    let revs = [
        deploy("web", 10, 3, 3),
        deploy("web", 11, 5, 3),
        deploy("web", 12, 5, 4),
        deploy("web", 13, 5, 5),
    ];
    for (i, r) in revs.iter().enumerate() {
        assert!(h.record(&k, r, 100 + i as i64));
    }
    let o = h.get(&k).unwrap();
    assert_eq!(o.revisions().len(), 4);
    for (i, r) in revs.iter().enumerate() {
        assert_eq!(o.object(i).as_ref(), Some(r), "revision {i}");
        for (j, q) in revs.iter().enumerate() {
            assert_eq!(o.pair(i, j), Some((r.clone(), q.clone())), "pair {i} {j}");
        }
    }
    assert_eq!(o.pair(4, 0), None, "no such revision");
    let summaries: Vec<(&str, &str)> = o
        .revisions()
        .iter()
        .map(|r| (r.change.label(), &*r.summary))
        .collect();
    assert_eq!(
        summaries,
        [
            ("FIRST SEEN", ""),
            ("MODIFIED", "spec.replicas 3→5"),
            ("MODIFIED", "status.readyReplicas 3→4"),
            ("MODIFIED", "status.readyReplicas 4→5"),
        ]
    );
    assert_eq!(&*o.revisions()[2].resource_version, "12");
    assert_eq!(o.revisions()[3].at, 103);
}

#[test]
fn repeats_and_older_revisions_from_a_second_stream_are_ignored() {
    let mut h = History::default();
    let k = key("web");
    assert!(h.record(&k, &deploy("web", 10, 3, 3), 1));
    assert!(h.record(&k, &deploy("web", 12, 4, 3), 2));
    assert!(
        !h.record(&k, &deploy("web", 12, 4, 3), 3),
        "the same rv twice"
    );
    assert!(!h.record(&k, &deploy("web", 11, 9, 9), 3), "an older rv");
    assert_eq!(h.get(&k).unwrap().revisions().len(), 2);
}

#[test]
fn a_change_of_noise_alone_says_so() {
    let mut h = History::default();
    let k = key("web");
    h.record(&k, &deploy("web", 10, 3, 3), 1);
    let mut touched = deploy("web", 11, 3, 3);
    touched["metadata"]["managedFields"] = json!([{"manager": "kx"}]);
    h.record(&k, &touched, 2);
    let newest = h.get(&k).unwrap().newest();
    assert!(newest.noise_only);
    assert_eq!(
        &*newest.summary,
        "metadata.managedFields[0].manager kubectl→kx, metadata.resourceVersion 10→11"
    );
}

#[test]
fn a_deleted_object_keeps_its_history_and_a_final_deleted_entry_then_can_come_back() {
    let mut h = History::default();
    let k = key("web");
    h.record(&k, &deploy("web", 10, 3, 3), 1);
    h.deleted(&k, 2);
    h.deleted(&k, 3);
    let o = h.get(&k).unwrap();
    assert!(o.deleted);
    assert_eq!(
        o.revisions().len(),
        2,
        "one DELETED entry, however often told"
    );
    assert_eq!(o.newest().change, Change::Deleted);
    assert_eq!(
        o.object(1),
        Some(deploy("web", 10, 3, 3)),
        "the last copy stays"
    );
    assert_eq!(o.object(0), Some(deploy("web", 10, 3, 3)));
    h.record(&k, &deploy("web", 20, 1, 0), 4);
    let o = h.get(&k).unwrap();
    assert_eq!(o.newest().change, Change::Recreated);
    assert_eq!(o.revisions().len(), 3);
    assert_eq!(o.object(0), Some(deploy("web", 10, 3, 3)));
}

#[test]
fn the_budget_drops_the_oldest_revisions_of_all_objects_first_and_says_so() {
    // A budget for about two objects with a few revisions each.
    let mut h = History::new(3_000);
    let (a, b) = (key("a"), key("b"));
    for rv in 1..=6 {
        h.record(&a, &deploy("a", rv * 2, rv, rv), rv as i64);
        h.record(&b, &deploy("b", rv * 2 + 1, rv, rv), rv as i64);
        assert!(h.used() <= h.budget(), "{} > {}", h.used(), h.budget());
    }
    let (ha, hb) = (h.get(&a).unwrap(), h.get(&b).unwrap());
    assert!(ha.trimmed > 0 && hb.trimmed > 0, "both lost their oldest");
    assert_eq!(&*ha.newest().resource_version, "12");
    assert_eq!(
        ha.object(ha.revisions().len() - 1),
        Some(deploy("a", 12, 6, 6))
    );
    // What is kept still rebuilds exactly, back to the oldest kept revision.
    let first_kept = ha.revisions()[0].resource_version.parse::<u64>().unwrap();
    assert_eq!(
        ha.object(0),
        Some(deploy("a", first_kept, first_kept / 2, first_kept / 2))
    );
    assert_eq!(
        h.trimmed_revisions,
        ha.trimmed + hb.trimmed,
        "the total counts every dropped revision"
    );
}

#[test]
fn objects_with_nothing_left_but_their_newest_revision_go_whole_oldest_first() {
    let mut h = History::new(4_000);
    for i in 0..20 {
        let name = format!("p{i}");
        h.record(&key(&name), &deploy(&name, i + 1, 1, 1), i as i64);
        assert!(h.used() <= h.budget());
    }
    assert!(h.trimmed_objects > 0);
    assert!(h.get(&key("p0")).is_none(), "the oldest went first");
    assert!(h.get(&key("p19")).is_some(), "the newest stays");
}

#[test]
fn a_pinned_object_keeps_every_revision_and_is_trimmed_again_once_unpinned() {
    let mut h = History::new(2_500);
    let (a, b) = (key("a"), key("b"));
    h.pin(&a);
    for rv in 1..=10 {
        h.record(&a, &deploy("a", rv * 2, rv, rv), rv as i64);
        h.record(&b, &deploy("b", rv * 2 + 1, rv, rv), rv as i64);
    }
    assert_eq!(h.get(&a).unwrap().revisions().len(), 10, "pinned: all kept");
    assert_eq!(h.get(&a).unwrap().trimmed, 0);
    assert!(h.get(&b).is_none_or(|o| o.trimmed > 0));
    h.unpin(&a);
    assert!(h.used() <= h.budget());
    assert!(h.get(&a).is_none_or(|o| o.trimmed > 0));
}

#[test]
fn a_secrets_values_stay_out_of_summaries() {
    let mut h = History::default();
    let k = HistoryKey {
        resource: "secrets".into(),
        namespace: "shop".into(),
        name: "db".into(),
    };
    let secret = |rv: &str, pw: &str| {
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "db", "resourceVersion": rv}, "data": {"password": pw}})
    };
    h.record(&k, &secret("1", "aHVudGVyMg=="), 1);
    h.record(&k, &secret("2", "c2VjcmV0"), 2);
    assert_eq!(
        &*h.get(&k).unwrap().newest().summary,
        "data.password changed"
    );
}
