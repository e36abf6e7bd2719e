//! `admission.k8s.io/v1` AdmissionReview: the request as the API server sends
//! it and the response it accepts. Only the fields the webhook reads are
//! typed; `object` and `oldObject` are built, in the same pass, into the
//! slim tree the policy reads ([`crate::object`]).

use rootlock_manifest::tree::Node;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default, deserialize_with = "request_object")]
    pub request: Option<AdmissionRequest>,
}

/// `request` as a JSON object (or null): serde's derive would also take
/// the array form of a struct, which is no AdmissionReview.
fn request_object<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<AdmissionRequest>, D::Error> {
    struct ObjectOrNull;
    impl<'de> serde::de::Visitor<'de> for ObjectOrNull {
        type Value = Option<AdmissionRequest>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an AdmissionRequest object")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(ObjectOrNull)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            AdmissionRequest::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                .map(Some)
        }
    }
    d.deserialize_option(ObjectOrNull)
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    #[serde(default)]
    pub resource: GroupVersionResource,
    #[serde(default)]
    pub sub_resource: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    pub operation: String,
    #[serde(default)]
    pub user_info: UserInfo,
    /// The object as the policy's tree, slim: see [`crate::object`].
    #[serde(default, deserialize_with = "crate::object::deserialize_slim")]
    pub object: Option<Node>,
    #[serde(default, deserialize_with = "crate::object::deserialize_slim")]
    pub old_object: Option<Node>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

impl AdmissionRequest {
    pub fn sub_resource(&self) -> &str {
        self.sub_resource.as_deref().unwrap_or("")
    }
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

/// Checks apiVersion/kind and returns the request.
pub fn parse(body: &[u8]) -> Result<AdmissionRequest, String> {
    // UTF-8 checked once for the whole body: parsing from `&str` then skips
    // the check serde_json otherwise repeats for every string (a tenth of
    // a review's instructions).
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("request body is not a valid AdmissionReview: not UTF-8: {e}"))?;
    if !text.trim_start().starts_with('{') {
        return Err("request body is not a valid AdmissionReview: not a JSON object".into());
    }
    let review: AdmissionReview = serde_json::from_str(text)
        .map_err(|e| format!("request body is not a valid AdmissionReview: {e}"))?;
    if review.api_version != API_VERSION || review.kind != KIND {
        return Err(format!(
            "expected apiVersion {API_VERSION:?} and kind {KIND:?}, got apiVersion {:?} and kind {:?}",
            review.api_version, review.kind
        ));
    }
    let request = review
        .request
        .ok_or_else(|| "AdmissionReview has no request".to_string())?;
    if request.uid.is_empty() {
        return Err("AdmissionReview request has an empty uid".into());
    }
    Ok(request)
}

/// `metav1.Status`, as carried in `response.status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    pub metadata: BTreeMap<String, String>,
    pub status: String,
    pub message: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    pub code: u16,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusDetails {
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub group: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub causes: Vec<StatusCause>,
}

/// `metav1.StatusCause`: one field error of a 422, as the API server's
/// `NewInvalid` lists them (`reason` is the field error's type).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusCause {
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub field: String,
}

impl Status {
    pub fn failure(code: u16, reason: &str, message: String) -> Status {
        Status {
            metadata: BTreeMap::new(),
            status: "Failure".into(),
            message,
            reason: reason.into(),
            details: None,
            code,
        }
    }
}

/// The response part of an AdmissionReview. Written by
/// [`crate::response_json`]; the serde derive is its reference.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl AdmissionResponse {
    pub fn allow() -> Self {
        AdmissionResponse {
            allowed: true,
            ..Default::default()
        }
    }

    pub fn deny(status: Status) -> Self {
        AdmissionResponse {
            allowed: false,
            status: Some(status),
            ..Default::default()
        }
    }

    pub fn exempt(why: &str) -> Self {
        let mut r = Self::allow();
        r.audit_annotations.insert("exempt".into(), why.into());
        r
    }

    /// The whole AdmissionReview document, with `uid` set.
    pub fn into_review(mut self, uid: &str) -> Vec<u8> {
        uid.clone_into(&mut self.uid);
        crate::response_json::write_review(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_review_and_echoes_its_uid() {
        let body = include_str!("../../../testdata/apiserver/admissionreview-v1-pod-create.json");
        let req = parse(body.as_bytes()).unwrap();
        assert_eq!(req.kind.kind, "Pod");
        assert_eq!(req.operation, "CREATE");
        let out = AdmissionResponse::allow().into_review(&req.uid);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["apiVersion"], API_VERSION);
        assert_eq!(v["kind"], KIND);
        assert_eq!(v["response"]["uid"], req.uid.as_str());
        assert_eq!(v["response"]["allowed"], true);
    }

    #[test]
    fn rejects_other_versions_and_missing_requests() {
        assert!(parse(br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x","kind":{},"operation":"CREATE"}}"#).unwrap_err().contains("admission.k8s.io/v1"));
        assert!(
            parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
                .unwrap_err()
                .contains("no request")
        );
        assert!(
            parse(b"{")
                .unwrap_err()
                .contains("not a valid AdmissionReview")
        );
    }

    #[test]
    fn the_array_form_of_a_struct_is_no_admission_review() {
        let array = br#"["admission.k8s.io/v1","AdmissionReview",{"uid":"x","kind":{},"operation":"CREATE"}]"#;
        assert!(parse(array).unwrap_err().contains("not a JSON object"));
        let request_array = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":["x",["","v1","Pod"],["","v1","pods"],null,"p","ns","CREATE"]}"#;
        assert!(
            parse(request_array)
                .unwrap_err()
                .contains("expected an AdmissionRequest object"),
        );
        let null_request =
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}"#;
        assert!(parse(null_request).unwrap_err().contains("no request"));
    }
}
