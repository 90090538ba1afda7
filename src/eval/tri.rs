//! Kleene three-valued logic: a condition on a context value that is not known is `Unknown`.

use std::ops::{BitAnd, BitOr, Not};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    pub fn is_true(self) -> bool {
        self == Tri::True
    }
    pub fn is_false(self) -> bool {
        self == Tri::False
    }
    /// OR over an iterator, stopping at the first `True`.
    pub fn any<I: IntoIterator<Item = Tri>>(it: I) -> Tri {
        let mut acc = Tri::False;
        for t in it {
            acc = acc | t;
            if acc == Tri::True {
                break;
            }
        }
        acc
    }
    /// AND over an iterator, stopping at the first `False`.
    pub fn all<I: IntoIterator<Item = Tri>>(it: I) -> Tri {
        let mut acc = Tri::True;
        for t in it {
            acc = acc & t;
            if acc == Tri::False {
                break;
            }
        }
        acc
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

impl BitAnd for Tri {
    type Output = Tri;
    fn bitand(self, o: Tri) -> Tri {
        self.min(o)
    }
}

impl BitOr for Tri {
    type Output = Tri;
    fn bitor(self, o: Tri) -> Tri {
        self.max(o)
    }
}

impl Not for Tri {
    type Output = Tri;
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::*;
    use super::*;

    #[test]
    fn kleene_tables() {
        assert_eq!(True & Unknown, Unknown);
        assert_eq!(False & Unknown, False);
        assert_eq!(True | Unknown, True);
        assert_eq!(False | Unknown, Unknown);
        assert_eq!(!Unknown, Unknown);
        assert_eq!(Tri::any([False, Unknown, False]), Unknown);
        assert_eq!(Tri::all([True, Unknown, False]), False);
        assert_eq!(Tri::all(std::iter::empty()), True);
        assert_eq!(Tri::any(std::iter::empty()), False);
    }
}
