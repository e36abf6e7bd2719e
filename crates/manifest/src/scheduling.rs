//! What a pod spec's scheduling says of the nodes it may run on, as far as
//! the policy reads it: whether `nodeSelector` or a required node affinity
//! binds it to Windows nodes ([`rootlock_policy::windows_nodes`]). Only the
//! fields that decide this are read; a wrongly typed one of them is an
//! input error, as the API server's decoder would refuse it.

use crate::error::FieldError;
use crate::extract::{Path, list_item_string, opt_map, opt_seq, opt_str};
use crate::tree::Node;
use rootlock_policy::windows_nodes::{self, OS_LABEL, WindowsBinding};

/// The pod spec `spec` (at `path`)'s binding to Windows nodes.
pub fn windows_binding(spec: &Node, path: &Path) -> Result<Option<WindowsBinding>, FieldError> {
    let selector = match opt_map(spec, "nodeSelector", path)? {
        Some(s) => opt_str(s, OS_LABEL, &Path::Key(path, "nodeSelector"))?,
        None => None,
    };
    let terms = required_terms(spec, path)?;
    Ok(windows_nodes::binding(selector.as_deref(), terms))
}

/// For each `nodeSelectorTerms` entry of the required node affinity,
/// whether it requires Windows; `None` when there is no such list.
fn required_terms(spec: &Node, path: &Path) -> Result<Option<Vec<bool>>, FieldError> {
    let affinity_path = Path::Key(path, "affinity");
    let Some(affinity) = opt_map(spec, "affinity", path)? else {
        return Ok(None);
    };
    let node_path = Path::Key(&affinity_path, "nodeAffinity");
    let Some(node) = opt_map(affinity, "nodeAffinity", &affinity_path)? else {
        return Ok(None);
    };
    let key = "requiredDuringSchedulingIgnoredDuringExecution";
    let required_path = Path::Key(&node_path, key);
    let Some(required) = opt_map(node, key, &node_path)? else {
        return Ok(None);
    };
    let terms_path = Path::Key(&required_path, "nodeSelectorTerms");
    let mut out = Vec::new();
    for (i, term) in opt_seq(required, "nodeSelectorTerms", &required_path)?
        .iter()
        .enumerate()
    {
        let term_path = Path::Index(&terms_path, i);
        let expressions_path = Path::Key(&term_path, "matchExpressions");
        let mut expressions = Vec::new();
        for (j, e) in opt_seq(term, "matchExpressions", &term_path)?
            .iter()
            .enumerate()
        {
            let at = Path::Index(&expressions_path, j);
            let values_path = Path::Key(&at, "values");
            let values = opt_seq(e, "values", &at)?
                .iter()
                .enumerate()
                .map(|(k, v)| list_item_string(v, &Path::Index(&values_path, k)))
                .collect::<Result<Vec<String>, _>>()?;
            let key = opt_str(e, "key", &at)?.unwrap_or_default();
            let operator = opt_str(e, "operator", &at)?.unwrap_or_default();
            expressions.push((key, operator, values));
        }
        out.push(windows_nodes::term_requires_windows(
            expressions
                .iter()
                .map(|(k, o, v)| (k.as_str(), o.as_str(), v.iter().map(|s| Some(s.as_str())))),
        ));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::tree::parse_documents;

    fn binding(spec: &str) -> Result<Option<WindowsBinding>, FieldError> {
        let docs = parse_documents(spec, 0, &Limits::default(), &|_| true).unwrap();
        let root = docs.into_iter().next().unwrap().root.unwrap();
        windows_binding(&root, &Path::Root("spec"))
    }

    #[test]
    fn a_spec_is_bound_for_windows_by_its_selector_or_every_required_term() {
        let term = |values: &str| {
            format!(
                "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - {{key: kubernetes.io/os, operator: In, values: {values}}}\n"
            )
        };
        assert_eq!(
            binding("nodeSelector: {kubernetes.io/os: windows}\n").unwrap(),
            Some(WindowsBinding::NodeSelector)
        );
        assert_eq!(
            binding("nodeSelector: {kubernetes.io/os: linux}\n").unwrap(),
            None
        );
        assert_eq!(binding("nodeSelector: ~\n").unwrap(), None);
        assert_eq!(
            binding(&term("[windows]")).unwrap(),
            Some(WindowsBinding::NodeAffinity)
        );
        assert_eq!(binding(&term("[windows, linux]")).unwrap(), None);
        // A null value is the API server's "" (see list_item_string): a
        // node labelled `kubernetes.io/os: ""` matches too, so the term
        // does not bind the pod to Windows, and the manifest is no error.
        assert_eq!(binding(&term("[windows, null]")).unwrap(), None);
        assert_eq!(binding(&term("[windows, ~]")).unwrap(), None);
        assert_eq!(binding("containers: []\n").unwrap(), None);
        // Wrongly typed, as the API server's decoder would refuse it.
        let e = binding("nodeSelector: {kubernetes.io/os: [windows]}\n").unwrap_err();
        assert_eq!(e.field, "spec.nodeSelector.kubernetes.io/os");
        let e = binding(&term("[1]")).unwrap_err();
        assert_eq!(
            e.field,
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]"
        );
    }
}
