//! Files of a walked directory whose documents are lists, not objects.
//!
//! A directory holds more than manifests: Helm values, a kustomization, a
//! JSON patch (`- op: add …`). `scan` lists workloads only, so a mapping
//! that is no workload (no `kind`, or another kind) gives nothing and is no
//! error; a file whose documents are all lists (or scalars) is no
//! Kubernetes object either, and is passed over alike — but only when the directory walk
//! found it. Named on the command line (or `-`), it was meant to be read:
//! its list root stays an input error, never a silent pass. And a file that
//! also holds an object (a `kind`) is a manifest with a mistake in it
//! (kubectl refuses such a document): its list roots are reported.

use rootlock_manifest::InputError;
use rootlock_manifest::tree::{Document, Value};

/// The list- or scalar-rooted documents of one file, held until the file
/// is read.
pub struct ListRoots {
    /// The file was found by walking a directory.
    walked: bool,
    /// The file has a document with a `kind`.
    has_object: bool,
    held: Vec<InputError>,
}

impl ListRoots {
    pub fn new(walked: bool) -> Self {
        ListRoots {
            walked,
            has_object: false,
            held: Vec::new(),
        }
    }

    /// Notes a document of the file.
    pub fn see(&mut self, doc: &Document) {
        self.has_object |= doc.kind.is_some();
    }

    /// Takes `error`, met reading `doc`, to decide on it once the whole
    /// file is read; gives it back when it must be reported as it is.
    pub fn hold(&mut self, doc: &Document, error: InputError) -> Result<(), InputError> {
        // A scalar root (a file holding one string) is no object either;
        // `fix` passed over such a walked file while `scan` refused it.
        let not_a_mapping = matches!(
            doc.root.as_ref().map(|r| &r.value),
            Some(Value::Seq(_) | Value::Scalar(_))
        );
        if self.walked && not_a_mapping {
            self.held.push(error);
            Ok(())
        } else {
            Err(error)
        }
    }

    /// Adds to `errors` (the file's, in line order) the held errors that
    /// stand: all of them when the file also holds an object, else none.
    pub fn finish(self, errors: &mut Vec<InputError>) {
        if !self.has_object {
            return;
        }
        for e in self.held {
            // Before the first error of a later line, as if never held.
            let at = errors
                .iter()
                .position(|x| x.line > e.line)
                .unwrap_or(errors.len());
            errors.insert(at, e);
        }
    }
}
