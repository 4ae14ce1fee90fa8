//! Widgets shared by several pages.

mod copy_link;
pub(crate) mod directory;
pub(crate) mod focus;
pub(crate) mod form;
mod layout;
mod loading;
mod package;
pub(crate) mod policy_editor;
pub(crate) mod policy_preview;
mod problem;
mod request_fields;
pub(crate) mod request_form;
mod request_share;
pub(crate) mod request_summary;
pub(crate) mod request_time;
mod title;

pub(crate) use copy_link::{CopyLink, LinkBox};
pub(crate) use form::Field;
pub(crate) use layout::{focus_main, MeResource, PublicLayout, SignedInLayout};
pub(crate) use loading::Loading;
pub(crate) use package::{Grants, PolicySummary};
pub(crate) use problem::ProblemPanel;
pub(crate) use request_form::RequestForm;
pub(crate) use request_share::ShareLink;
pub(crate) use title::set_page_title;
