//! Widgets shared by several pages.

mod copy_link;
pub(crate) mod directory;
mod field;
pub(crate) mod form;
mod layout;
mod loading;
mod package;
pub(crate) mod policy_editor;
pub(crate) mod policy_preview;
mod problem;
mod title;

pub(crate) use copy_link::{CopyLink, LinkBox};
pub(crate) use field::Field;
pub(crate) use layout::{MeResource, PublicLayout, SignedInLayout};
pub(crate) use loading::Loading;
pub(crate) use package::{Grants, PolicySummary};
pub(crate) use problem::ProblemPanel;
pub(crate) use title::set_page_title;
