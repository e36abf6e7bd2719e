//! Why a file is not fixed, with the location its producer knows: a line
//! of the file, a field the manifest reader located, the file alone, or a
//! failed check of the edited text (whose lines are not the file's). The
//! file name is added when it is shown, so no message is parsed back.

use rootlock_manifest::error::FieldError;
use std::fmt;

/// A refusal to fix a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// At a line of the file as given: shown `file:LINE: message`, the
    /// form editors and CI annotations jump to.
    At { line: usize, message: String },
    /// A field of the wrong type or shape, shown as scan shows it:
    /// `file:LINE:COLUMN: field: message`.
    Field(FieldError),
    /// About the file, at no line of it (internal errors): `file: message`.
    Unlocated(String),
    /// The edited text failed its check: `file: the fix could not be
    /// verified (…)`. The lines the inner message names are the edited
    /// text's, not the file's, so none is put after the file name.
    Unverified(String),
}

impl Refusal {
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Refusal::At {
            line,
            message: message.into(),
        }
    }

    /// The refusal as shown for the file named `file`.
    pub fn in_file<'a>(&'a self, file: &'a str) -> InFile<'a> {
        InFile {
            file,
            refusal: self,
        }
    }
}

impl From<FieldError> for Refusal {
    fn from(e: FieldError) -> Self {
        Refusal::Field(e)
    }
}

/// A [`Refusal`] with the name of its file, for display.
pub struct InFile<'a> {
    file: &'a str,
    refusal: &'a Refusal,
}

impl fmt::Display for InFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file;
        match self.refusal {
            Refusal::At { line, message } => write!(f, "{file}:{line}: {message}"),
            Refusal::Field(e) => write!(f, "{}", e.clone().into_input_error(file)),
            Refusal::Unlocated(message) => write!(f, "{file}: {message}"),
            Refusal::Unverified(why) => {
                write!(f, "{file}: the fix could not be verified ({why})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(r: Refusal) -> String {
        r.in_file("a.yaml").to_string()
    }

    #[test]
    fn each_refusal_is_located_as_far_as_its_producer_knows() {
        assert_eq!(
            shown(Refusal::at(12, "the node is an alias")),
            "a.yaml:12: the node is an alias"
        );
        let field = FieldError {
            line: 3,
            column: 7,
            field: "spec".into(),
            message: "expected a map".into(),
        };
        assert_eq!(
            shown(field.into()),
            "a.yaml:3:7: spec: expected a map",
            "named once, as scan names it"
        );
        assert_eq!(
            shown(Refusal::Unlocated("internal error: x".into())),
            "a.yaml: internal error: x"
        );
        // A message that merely looks located is not taken for a location.
        assert_eq!(
            shown(Refusal::Unlocated("line 4: odd".into())),
            "a.yaml: line 4: odd"
        );
    }

    /// A line of the edited text is not a line of the file: a failed
    /// check names the file alone and keeps the inner message whole.
    #[test]
    fn a_failed_check_names_no_line_of_the_file() {
        assert_eq!(
            shown(Refusal::Unverified("line 4: x".into())),
            "a.yaml: the fix could not be verified (line 4: x)"
        );
    }
}
