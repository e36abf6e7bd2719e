//! The listing itself: namespaces; the controllers that are links of owner
//! chains (ReplicaSets, Jobs); the pods, page by page; then the top-level
//! controllers, of which only those without pods need their template judged.

use crate::args::ClusterArgs;
use crate::client::{Cluster, ClusterError, Purpose};
use crate::evaluate::Judge;
use crate::inventory::Inventory;
use crate::list::for_each_page;
use crate::progress::Progress;
use serde_json::value::RawValue;

/// Pod controller kinds (kind, apiVersion, resource) that can be owned by
/// another workload: listed before the pods so the chains are known.
const LINKS: [(&str, &str, &str); 2] = [
    ("ReplicaSet", "apps/v1", "replicasets"),
    ("Job", "batch/v1", "jobs"),
];

/// Pod controller kinds at the top of a chain: listed after the pods.
const TOPS: [(&str, &str, &str); 5] = [
    ("Deployment", "apps/v1", "deployments"),
    ("StatefulSet", "apps/v1", "statefulsets"),
    ("DaemonSet", "apps/v1", "daemonsets"),
    ("CronJob", "batch/v1", "cronjobs"),
    ("ReplicationController", "v1", "replicationcontrollers"),
];

fn list_path(api_version: &str, resource: &str, namespace: Option<&str>) -> String {
    let root = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    match namespace {
        Some(ns) => format!(
            "{root}/namespaces/{}/{resource}",
            crate::list::encode_query(ns)
        ),
        None => format!("{root}/{resource}"),
    }
}

/// `deployments.apps`, as `kubectl auth can-i` spells it.
fn rbac_name(api_version: &str, resource: &str) -> String {
    match api_version.split_once('/') {
        Some((group, _)) => format!("{resource}.{group}"),
        None => resource.to_string(),
    }
}

pub async fn collect(
    cluster: &Cluster,
    args: &ClusterArgs,
    judge: Judge,
    progress: &Progress,
) -> Result<Inventory, ClusterError> {
    let mut inv = Inventory::new(judge);
    let mut scopes: Vec<Option<&str>> = args.namespaces.iter().map(|n| Some(n.as_str())).collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        scopes.push(None);
    }
    let limit = args.chunk_size;

    progress.stage("listing namespaces");
    for scope in &scopes {
        match scope {
            None => {
                let purpose = Purpose {
                    verb: "list",
                    resource: "namespaces",
                    namespace: None,
                };
                for_each_page(cluster, "/api/v1/namespaces", limit, purpose, |page| {
                    for item in page.items {
                        inv.add_namespace(item.get())
                            .map_err(|detail| ClusterError::Decode {
                                path: "/api/v1/namespaces".into(),
                                detail,
                            })?;
                    }
                    Ok(())
                })
                .await?;
            }
            Some(ns) => {
                let path = format!("/api/v1/namespaces/{}", crate::list::encode_query(ns));
                // Namespaces are cluster-scoped: the right to read this one
                // is `get namespaces/NAME`, as `kubectl auth can-i` asks it.
                let resource = format!("namespaces/{ns}");
                let purpose = Purpose {
                    verb: "get",
                    resource: &resource,
                    namespace: None,
                };
                let text = cluster.get(&path, purpose).await?;
                let got = inv
                    .add_namespace(&text)
                    .map_err(|detail| ClusterError::Decode {
                        path: path.clone(),
                        detail,
                    })?;
                // Another namespace's labels (a proxy's mix-up) would be
                // shown under that name, and this one shown unlabelled.
                if got != *ns {
                    return Err(ClusterError::Decode {
                        path,
                        detail: format!("asked for namespace {ns:?}, got namespace {got:?}"),
                    });
                }
            }
        }
    }

    list_kinds(
        cluster,
        &scopes,
        limit,
        &LINKS,
        "",
        progress,
        |k, v, item| inv.add_controller(k, v, item),
    )
    .await?;

    progress.stage("listing pods");
    let mut seen = 0u64;
    for scope in &scopes {
        let purpose = Purpose {
            verb: "list",
            resource: "pods",
            namespace: *scope,
        };
        let path = list_path("v1", "pods", *scope);
        for_each_page(cluster, &path, limit, purpose, |page| {
            for item in page.items {
                inv.add_pod(item);
            }
            seen += page.items.len() as u64;
            progress.pods(seen, page.remaining);
            Ok(())
        })
        .await?;
    }
    // A ReplicaSet or Job created after its kind was listed (a rollout, a
    // CronJob's next run, while a large cluster is listed) has pods in the
    // list: list that kind again so they reach their workload.
    let again: Vec<(&str, &str, &str)> = LINKS
        .iter()
        .filter(|(kind, _, _)| inv.unlisted(kind))
        .copied()
        .collect();
    list_kinds(
        cluster,
        &scopes,
        limit,
        &again,
        " created meanwhile",
        progress,
        |k, v, item| inv.relink(k, v, item),
    )
    .await?;
    list_kinds(
        cluster,
        &scopes,
        limit,
        &TOPS,
        "",
        progress,
        |k, v, item| inv.add_controller(k, v, item),
    )
    .await?;
    progress.finish();
    Ok(inv)
}

/// Lists `kinds` in every scope, page by page, handing each item with its
/// kind and apiVersion to `each`; `stage` names the step in the progress.
async fn list_kinds<F>(
    cluster: &Cluster,
    scopes: &[Option<&str>],
    limit: u32,
    kinds: &[(&str, &str, &str)],
    stage: &str,
    progress: &Progress,
    mut each: F,
) -> Result<(), ClusterError>
where
    F: FnMut(&str, &str, &RawValue),
{
    for (kind, api_version, resource) in kinds {
        progress.stage(&format!("listing {resource}{stage}"));
        let rbac = rbac_name(api_version, resource);
        for scope in scopes {
            let purpose = Purpose {
                verb: "list",
                resource: &rbac,
                namespace: *scope,
            };
            let path = list_path(api_version, resource, *scope);
            for_each_page(cluster, &path, limit, purpose, |page| {
                for item in page.items {
                    each(kind, api_version, item);
                }
                Ok(())
            })
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_rbac_names() {
        assert_eq!(list_path("v1", "pods", None), "/api/v1/pods");
        assert_eq!(
            list_path("apps/v1", "replicasets", Some("shop")),
            "/apis/apps/v1/namespaces/shop/replicasets"
        );
        assert_eq!(rbac_name("batch/v1", "cronjobs"), "cronjobs.batch");
        assert_eq!(rbac_name("v1", "pods"), "pods");
    }
}
