//! Merging a coder's copy back, one divergence at a time, on a small synthetic study: a code
//! renamed, moved, split or merged in the copy and then used; a code deleted in the project
//! but used in the copy; a new code with the same name on both sides; and every way a single
//! coding can differ. Each test compares the merge report's line for every coding (its
//! outcome and reason) with what that coding went through, and the project afterwards.

use codeloom::Project;
use codeloom::codebook::merge::{self, Choice, CodingOutcome, ConflictKind, MergeReport};
use codeloom::import::ParsedDocument;
use codeloom::model::{CodeDescription, MemoTarget};
use codeloom::store::code_ops::SplitPart;
use codeloom::store::ops::{CodeChanges, CodingChanges, NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

const D1: &str = "I hope to work again soon. I fear the money will run out. The bus is never on time.";
const D2: &str = "We talked about the garden and the rain.";
const D3: &str = "A third talk, later withdrawn.";

/// The study before the copy is made: three documents, two top-level codes with children,
/// and codings by amara (who gets the copy) and ben.
struct Study {
    _dir: tempfile::TempDir,
    path: PathBuf,
    copy: PathBuf,
    docs: HashMap<&'static str, String>,
    codes: HashMap<&'static str, String>,
    /// Codings by label: `a_…` are amara's, `b_…` ben's.
    codings: HashMap<&'static str, String>,
}

fn document(name: &str, text: &str) -> ParsedDocument {
    ParsedDocument {
        source: format!("{name}.txt").into(),
        name: name.into(),
        original_name: format!("{name}.txt"),
        format: "txt".into(),
        text: text.into(),
        turns: vec![],
        participant: None,
        wave: None,
        warnings: vec![],
    }
}

fn coding(doc: &str, start: usize, end: usize, code: &str, coder: &str) -> NewCoding {
    NewCoding {
        document_id: doc.into(),
        start,
        end,
        code_id: code.into(),
        coder: Some(coder.into()),
        memo: None,
        illustrative: false,
    }
}

impl Study {
    fn new() -> Study {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("study.codeloom");
        let mut p = Project::create(&path).unwrap();
        p.set_coder("lead").unwrap();
        p.import_documents(vec![document("d1", D1), document("d2", D2), document("d3", D3)]).unwrap();
        let docs: HashMap<&'static str, String> = p
            .documents()
            .unwrap()
            .into_iter()
            .map(|d| {
                let name: &'static str = ["d1", "d2", "d3"].into_iter().find(|n| *n == d.document.name).unwrap();
                (name, d.document.id)
            })
            .collect();
        let mut codes: HashMap<&'static str, String> = HashMap::new();
        for (name, parent) in [
            ("Feelings", None),
            ("Life", None),
            ("Hope", Some("Feelings")),
            ("Fear", Some("Feelings")),
            ("Worry", Some("Feelings")),
            ("Work and money", Some("Life")),
            ("Transport", Some("Life")),
        ] {
            let parent_id = parent.map(|p: &str| codes[p].clone());
            let id = p.create_code(NewCode { name: name.into(), parent_id, ..Default::default() }).unwrap();
            codes.insert(name, id);
        }
        let (d1, d2, d3) = (&docs["d1"], &docs["d2"], &docs["d3"]);
        let plan: [(&'static str, &str, usize, usize, &str, &str); 11] = [
            ("a_hope", d1, 2, 6, "Hope", "amara"),
            ("a_work", d1, 10, 20, "Work and money", "amara"),
            ("a_fear", d1, 29, 33, "Fear", "amara"),
            ("a_worry", d1, 49, 56, "Worry", "amara"),
            ("a_transport", d1, 62, 65, "Transport", "amara"),
            ("a_garden", d2, 20, 26, "Hope", "amara"),
            ("a_d3", d3, 2, 7, "Hope", "amara"),
            ("b_hope", d1, 0, 14, "Hope", "ben"),
            ("b_work", d1, 38, 43, "Work and money", "ben"),
            ("b_fear", d1, 29, 43, "Fear", "ben"),
            ("b_transport", d1, 69, 82, "Transport", "ben"),
        ];
        let batch = plan.iter().map(|&(_, doc, s, e, code, coder)| coding(doc, s, e, &codes[code], coder)).collect();
        let ids = p.apply_codings(batch, "base").unwrap();
        let codings = plan.iter().map(|x| x.0).zip(ids.ids).collect();
        let copy = dir.path().join("amara.codeloom");
        merge::make_copy(&p, "amara", &copy, true).unwrap();
        Study { _dir: dir, path, copy, docs, codes, codings }
    }

    fn project(&self) -> Project {
        let mut p = Project::open(&self.path).unwrap();
        p.set_coder("lead").unwrap();
        p
    }

    /// Opens amara's copy as amara.
    fn in_copy<T>(&self, f: impl FnOnce(&mut Project) -> T) -> T {
        let mut c = Project::open(&self.copy).unwrap();
        c.set_coder("amara").unwrap();
        f(&mut c)
    }

    /// Plans the merge, checks the conflicts found, resolves them all to `choice` and applies it.
    fn merge(&self, p: &mut Project, conflicts: &[(ConflictKind, &str)], choice: Choice) -> MergeReport {
        let mut plan = merge::plan_merge(p, &self.copy).unwrap();
        let found: Vec<(ConflictKind, &str)> = plan.conflicts.iter().map(|c| (c.kind, c.code.as_str())).collect();
        assert_eq!(found, conflicts, "conflicts");
        plan.resolve_rest(choice);
        p.merge_copy(&plan).unwrap()
    }

    /// Amara's codings in the base that the scenario leaves alone: reported as already present.
    fn untouched(&self, except: &[&str]) -> Vec<(String, CodingOutcome)> {
        ["a_hope", "a_work", "a_fear", "a_worry", "a_transport", "a_garden", "a_d3"]
            .into_iter()
            .filter(|l| !except.contains(l))
            .map(|l| (self.codings[l].clone(), CodingOutcome::AlreadyPresent))
            .collect()
    }
}

/// The report's outcome for every coding, with no coding reported twice.
fn outcomes(report: &MergeReport) -> BTreeMap<String, CodingOutcome> {
    let map: BTreeMap<String, CodingOutcome> = report.codings.iter().map(|l| (l.id.clone(), l.outcome)).collect();
    assert_eq!(map.len(), report.codings.len(), "a coding is reported twice: {:#?}", report.codings);
    map
}

/// The report line of one coding.
fn line<'a>(report: &'a MergeReport, id: &str) -> &'a merge::CodingLine {
    report.codings.iter().find(|l| l.id == id).unwrap_or_else(|| panic!("coding {id} is not in the report"))
}

#[track_caller]
fn reason_contains(report: &MergeReport, id: &str, words: &str) {
    let reason = line(report, id).reason.as_deref().unwrap_or("");
    assert!(reason.contains(words), "reason of {id}: {reason:?}, expected {words:?}");
}

/// The project's codings as (document, start, end, code, coder), sorted.
fn codings_of(p: &Project) -> BTreeSet<(String, usize, usize, String, String)> {
    p.codings(&CodingFilter::default())
        .unwrap()
        .into_iter()
        .map(|c| (c.document_id, c.start, c.end, c.code_id, c.coder))
        .collect()
}

fn expect(pairs: Vec<(String, CodingOutcome)>) -> BTreeMap<String, CodingOutcome> {
    pairs.into_iter().collect()
}

#[test]
fn a_code_renamed_in_the_copy_and_then_used() {
    let s = Study::new();
    let hope = s.codes["Hope"].clone();
    let new = s.in_copy(|c| {
        c.update_code(&hope, CodeChanges { name: Some("Hopefulness".into()), ..Default::default() }).unwrap();
        c.apply_coding(coding(&s.docs["d1"], 21, 25, &hope, "amara")).unwrap().id
    });
    let mut p = s.project();
    let before = codings_of(&p);
    let report = s.merge(&mut p, &[], Choice::Project);
    let mut want = s.untouched(&[]);
    want.push((new.clone(), CodingOutcome::Added));
    assert_eq!(outcomes(&report), expect(want));
    assert_eq!(line(&report, &new).code, "Hopefulness");
    assert_eq!(report.codes_changed, ["Hopefulness"]);
    assert_eq!(p.code(&hope).unwrap().name, "Hopefulness");
    let mut after = before.clone();
    after.insert((s.docs["d1"].clone(), 21, 25, hope.clone(), "amara".into()));
    assert_eq!(codings_of(&p), after);

    // Renamed differently in the project meanwhile: a conflict over the name only; the new
    // coding is added whichever name wins.
    p.undo().unwrap();
    p.update_code(&hope, CodeChanges { name: Some("Optimism".into()), ..Default::default() }).unwrap();
    for (choice, name) in [(Choice::Project, "Optimism"), (Choice::Copy, "Hopefulness")] {
        let mut plan = merge::plan_merge(&p, &s.copy).unwrap();
        assert_eq!(plan.conflicts.len(), 1);
        let c = &plan.conflicts[0];
        assert_eq!(
            (c.kind, c.base.as_str(), c.project.as_str(), c.copy.as_str()),
            (ConflictKind::Renamed, "Hope", "Optimism", "Hopefulness")
        );
        assert_eq!(c.codings, 4, "the project's codings of Hope: amara's three and ben's");
        plan.resolve(0, choice).unwrap();
        let report = p.merge_copy(&plan).unwrap();
        assert_eq!(outcomes(&report)[&new], CodingOutcome::Added);
        assert_eq!(p.code(&hope).unwrap().name, name);
        assert_eq!(codings_of(&p), after);
        p.undo().unwrap();
    }
}

#[test]
fn a_code_moved_in_the_copy_and_then_used() {
    let s = Study::new();
    let (fear, hope, life) = (s.codes["Fear"].clone(), s.codes["Hope"].clone(), s.codes["Life"].clone());
    let (emotions, new_fear, new_hope) = s.in_copy(|c| {
        // Fear goes under a code new in the copy, Hope under another existing code.
        let emotions = c.create_code(NewCode { name: "Emotions".into(), ..Default::default() }).unwrap();
        c.move_code(&fear, Some(&emotions), None).unwrap();
        c.move_code(&hope, Some(&life), None).unwrap();
        let f = c.apply_coding(coding(&s.docs["d1"], 38, 43, &fear, "amara")).unwrap().id;
        let h = c.apply_coding(coding(&s.docs["d1"], 21, 25, &hope, "amara")).unwrap().id;
        (emotions, f, h)
    });
    let mut p = s.project();
    let report = s.merge(&mut p, &[], Choice::Project);
    let mut want = s.untouched(&[]);
    want.extend([(new_fear.clone(), CodingOutcome::Added), (new_hope.clone(), CodingOutcome::Added)]);
    assert_eq!(outcomes(&report), expect(want));
    assert_eq!(report.codes_added, ["Emotions"]);
    assert_eq!(p.code(&fear).unwrap().parent_id.as_deref(), Some(emotions.as_str()));
    assert_eq!(p.code(&hope).unwrap().parent_id.as_deref(), Some(life.as_str()));
    assert_eq!(p.code_path(&fear).unwrap(), "Emotions / Fear");
    let fear_codings = p.codings(&CodingFilter { code_id: Some(fear.clone()), ..Default::default() }).unwrap();
    assert_eq!(fear_codings.len(), 3, "amara's and ben's earlier codings and the new one");

    // Moved elsewhere in the project meanwhile: a conflict over the place only.
    p.undo().unwrap();
    p.move_code(&fear, None, None).unwrap();
    for (choice, parent) in [(Choice::Project, None), (Choice::Copy, Some(emotions.as_str()))] {
        let mut plan = merge::plan_merge(&p, &s.copy).unwrap();
        let kinds: Vec<(ConflictKind, &str)> = plan.conflicts.iter().map(|c| (c.kind, c.code.as_str())).collect();
        assert_eq!(kinds, [(ConflictKind::Moved, "Fear")]);
        assert_eq!((plan.conflicts[0].project.as_str(), plan.conflicts[0].copy.as_str()), ("(top level)", "Emotions"));
        plan.resolve(0, choice).unwrap();
        let report = p.merge_copy(&plan).unwrap();
        assert_eq!(outcomes(&report)[&new_fear], CodingOutcome::Added);
        assert_eq!(p.code(&fear).unwrap().parent_id.as_deref(), parent);
        p.undo().unwrap();
    }
}

#[test]
fn a_code_split_in_the_copy_and_then_used() {
    let s = Study::new();
    let wm = s.codes["Work and money"].clone();
    let a_work = s.codings["a_work"].clone();
    let (parts, new) = s.in_copy(|c| {
        let parts = c
            .split_code(
                &wm,
                vec![
                    SplitPart { name: "Work".into(), codings: vec![a_work.clone()], ..Default::default() },
                    SplitPart { name: "Money".into(), ..Default::default() },
                ],
                true,
            )
            .unwrap();
        let new = c.apply_coding(coding(&s.docs["d1"], 38, 43, &parts[1], "amara")).unwrap().id;
        (parts, new)
    });
    // Ben's coding of "Work and money" is not in the copy, so removing the code is a conflict.
    let conflicts = [(ConflictKind::DeletedInCopy, "Work and money")];
    let b_work = s.codings["b_work"].clone();
    let mut p = s.project();
    let report = s.merge(&mut p, &conflicts, Choice::Project);
    let mut want = s.untouched(&["a_work"]);
    want.extend([(a_work.clone(), CodingOutcome::Updated), (new.clone(), CodingOutcome::Added)]);
    assert_eq!(outcomes(&report), expect(want.clone()));
    assert_eq!(report.codes_added.iter().collect::<BTreeSet<_>>(), BTreeSet::from([&"Work".into(), &"Money".into()]));
    assert!(report.codes_removed.is_empty());
    let code_of = |p: &Project, id: &str| {
        p.codings(&CodingFilter::default()).unwrap().into_iter().find(|c| c.id == id).map(|c| c.code_id)
    };
    assert_eq!(code_of(&p, &a_work), Some(parts[0].clone()), "amara's coding moved to Work");
    assert_eq!(code_of(&p, &new), Some(parts[1].clone()));
    assert_eq!(code_of(&p, &b_work), Some(wm.clone()), "ben's coding stays on the kept code");

    // The copy's version: the original goes, and ben's coding with it, reported.
    p.undo().unwrap();
    let report = s.merge(&mut p, &conflicts, Choice::Copy);
    want.push((b_work.clone(), CodingOutcome::RemovedWithCode));
    assert_eq!(outcomes(&report), expect(want));
    reason_contains(&report, &b_work, "deleted in the copy");
    assert_eq!(report.codes_removed, ["Work and money"]);
    assert!(p.code(&wm).is_err());
    assert_eq!(code_of(&p, &b_work), None);
    assert_eq!(code_of(&p, &a_work), Some(parts[0].clone()));
}

#[test]
fn codes_merged_in_the_copy_and_then_used() {
    let s = Study::new();
    let (fear, worry) = (s.codes["Fear"].clone(), s.codes["Worry"].clone());
    let new = s.in_copy(|c| {
        c.merge_codes(std::slice::from_ref(&fear), &worry).unwrap();
        c.apply_coding(coding(&s.docs["d2"], 35, 39, &worry, "amara")).unwrap().id
    });
    let (a_fear, b_fear) = (s.codings["a_fear"].clone(), s.codings["b_fear"].clone());
    let conflicts = [(ConflictKind::DeletedInCopy, "Fear")];
    let mut p = s.project();
    let report = s.merge(&mut p, &conflicts, Choice::Project);
    let mut want = s.untouched(&["a_fear"]);
    want.extend([(a_fear.clone(), CodingOutcome::Updated), (new.clone(), CodingOutcome::Added)]);
    assert_eq!(outcomes(&report), expect(want.clone()));
    let on = |p: &Project, code: &str| -> BTreeSet<String> {
        p.codings(&CodingFilter { code_id: Some(code.into()), ..Default::default() })
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    assert_eq!(on(&p, &fear), BTreeSet::from([b_fear.clone()]), "Fear is kept with ben's coding");
    assert_eq!(on(&p, &worry), BTreeSet::from([s.codings["a_worry"].clone(), a_fear.clone(), new.clone()]));

    p.undo().unwrap();
    let report = s.merge(&mut p, &conflicts, Choice::Copy);
    want.push((b_fear.clone(), CodingOutcome::RemovedWithCode));
    assert_eq!(outcomes(&report), expect(want));
    reason_contains(&report, &b_fear, "deleted in the copy");
    assert!(p.code(&fear).is_err());
    assert_eq!(report.codes_removed, ["Fear"]);
}

#[test]
fn a_code_deleted_in_the_project_but_used_in_the_copy() {
    let s = Study::new();
    let transport = s.codes["Transport"].clone();
    let new = s.in_copy(|c| c.apply_coding(coding(&s.docs["d1"], 69, 82, &transport, "amara")).unwrap().id);
    let mut p = s.project();
    p.delete_code(&transport).unwrap();
    let before = codings_of(&p);
    let a_transport = s.codings["a_transport"].clone();
    let conflicts = [(ConflictKind::DeletedInProject, "Transport")];

    // The project's version: the deletion stands; the new coding is not merged, and
    // amara's earlier coding, deleted with the code, stays deleted.
    let report = s.merge(&mut p, &conflicts, Choice::Project);
    let mut want = s.untouched(&["a_transport"]);
    want.extend([(a_transport.clone(), CodingOutcome::StaysRemoved), (new.clone(), CodingOutcome::NotMerged)]);
    assert_eq!(outcomes(&report), expect(want.clone()));
    reason_contains(&report, &new, "deleted in the project");
    reason_contains(&report, &a_transport, "removed from the project after the copy was made");
    assert!(p.code(&transport).is_err());
    assert_eq!(codings_of(&p), before);
    assert!(!report.changed, "nothing to write, so nothing to undo");

    // The copy's version: the code comes back with the new coding.
    let report = s.merge(&mut p, &conflicts, Choice::Copy);
    want.pop();
    want.push((new.clone(), CodingOutcome::Added));
    assert_eq!(outcomes(&report), expect(want));
    assert_eq!(report.codes_added, ["Transport"]);
    assert_eq!(p.code_path(&transport).unwrap(), "Life / Transport");
    let mut after = before.clone();
    after.insert((s.docs["d1"].clone(), 69, 82, transport.clone(), "amara".into()));
    assert_eq!(codings_of(&p), after);

    // Deleted in the project and neither used nor changed in the copy: no conflict.
    let quiet = Study::new();
    let mut p = quiet.project();
    p.delete_code(&quiet.codes["Transport"]).unwrap();
    let report = quiet.merge(&mut p, &[], Choice::Project);
    let mut want = quiet.untouched(&["a_transport"]);
    want.push((quiet.codings["a_transport"].clone(), CodingOutcome::StaysRemoved));
    assert_eq!(outcomes(&report), expect(want));
    assert!(p.code(&quiet.codes["Transport"]).is_err());
}

#[test]
fn the_same_new_name_on_both_sides() {
    let s = Study::new();
    let (feelings, hope) = (s.codes["Feelings"].clone(), s.codes["Hope"].clone());
    // The project gains "Stigma" and "Optimism" under Feelings; ben codes with Stigma.
    let mut p = s.project();
    let ours = p
        .create_code(NewCode { name: "Stigma".into(), parent_id: Some(feelings.clone()), ..Default::default() })
        .unwrap();
    p.create_code(NewCode { name: "Optimism".into(), parent_id: Some(feelings.clone()), ..Default::default() })
        .unwrap();
    let ben = p.apply_coding(coding(&s.docs["d1"], 62, 65, &ours, "ben")).unwrap().id;
    drop(p);
    // The copy gains its own "Stigma" (another UUID) and renames Hope to "Optimism"; amara
    // codes with both.
    let (theirs, new_stigma, new_hope) = s.in_copy(|c| {
        let theirs = c
            .create_code(NewCode { name: "Stigma".into(), parent_id: Some(feelings.clone()), ..Default::default() })
            .unwrap();
        c.update_code(&hope, CodeChanges { name: Some("Optimism".into()), ..Default::default() }).unwrap();
        let a = c.apply_coding(coding(&s.docs["d1"], 62, 65, &theirs, "amara")).unwrap().id;
        let b = c.apply_coding(coding(&s.docs["d1"], 21, 25, &hope, "amara")).unwrap().id;
        (theirs, a, b)
    });
    assert_ne!(ours, theirs);
    let mut p = s.project();
    let report = s.merge(&mut p, &[], Choice::Project);
    let mut want = s.untouched(&[]);
    want.extend([(new_stigma.clone(), CodingOutcome::Added), (new_hope.clone(), CodingOutcome::Added)]);
    assert_eq!(outcomes(&report), expect(want));
    // Codes are told apart by UUID; the copy's gets the coder's name to tell them apart by name.
    assert_eq!(report.codes_added, ["Stigma (amara)"]);
    assert_eq!(p.code(&theirs).unwrap().name, "Stigma (amara)");
    assert_eq!(p.code(&ours).unwrap().name, "Stigma");
    assert_eq!(p.code(&hope).unwrap().name, "Optimism (amara)");
    let on = |code: &str| -> Vec<String> {
        p.codings(&CodingFilter { code_id: Some(code.into()), ..Default::default() })
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    assert_eq!(on(&ours), [ben]);
    assert_eq!(on(&theirs), [new_stigma]);
}

#[test]
fn every_way_a_coding_can_differ() {
    let s = Study::new();
    let c = |l: &str| s.codings[l].clone();
    let (hope, d3) = (s.codes["Hope"].clone(), s.docs["d3"].clone());
    // The copy: resizes a_hope (project unchanged) and a_fear (also resized in the project),
    // leaves a_worry (whose memo the project changes), removes a_transport (unchanged in the
    // project) and a_work (resized in the project), codes a span the project also gave amara
    // since, and codes the document the project withdraws.
    let (twin, on_d3) = s.in_copy(|copy| {
        let resize = |copy: &mut Project, id: &str, start, end| {
            copy.update_coding(id, CodingChanges { start: Some(start), end: Some(end), ..Default::default() }).unwrap()
        };
        resize(copy, &c("a_hope"), 2, 25);
        resize(copy, &c("a_fear"), 28, 33);
        copy.delete_coding(&c("a_transport")).unwrap();
        copy.delete_coding(&c("a_work")).unwrap();
        let twin = copy.apply_coding(coding(&s.docs["d2"], 35, 39, &hope, "amara")).unwrap().id;
        let on_d3 = copy.apply_coding(coding(&d3, 8, 12, &hope, "amara")).unwrap().id;
        (twin, on_d3)
    });
    let mut p = s.project();
    p.update_coding(&c("a_fear"), CodingChanges { start: Some(29), end: Some(43), ..Default::default() }).unwrap();
    p.update_coding(&c("a_worry"), CodingChanges { memo: Some(Some("checked".into())), ..Default::default() }).unwrap();
    p.update_coding(&c("a_work"), CodingChanges { end: Some(25), ..Default::default() }).unwrap();
    p.delete_coding(&c("a_garden")).unwrap();
    let twin_in_project = p.apply_coding(coding(&s.docs["d2"], 35, 39, &hope, "amara")).unwrap().id;
    p.delete_document(&d3).unwrap();

    let report = s.merge(&mut p, &[], Choice::Project);
    let want = expect(vec![
        (c("a_hope"), CodingOutcome::Updated),
        // Changed on both sides: the copy's coder's own coding, so the copy's version.
        (c("a_fear"), CodingOutcome::Updated),
        (c("a_worry"), CodingOutcome::KeptProject),
        (c("a_transport"), CodingOutcome::RemovedByCoder),
        (c("a_work"), CodingOutcome::KeptProject),
        (c("a_garden"), CodingOutcome::StaysRemoved),
        (c("a_d3"), CodingOutcome::NotMerged),
        (twin.clone(), CodingOutcome::Duplicate),
        (on_d3.clone(), CodingOutcome::NotMerged),
    ]);
    assert_eq!(outcomes(&report), want);
    reason_contains(&report, &c("a_worry"), "changed in the project since the copy was made");
    reason_contains(&report, &c("a_work"), "removed in the copy but changed in the project");
    reason_contains(&report, &c("a_garden"), "removed from the project after the copy was made");
    reason_contains(&report, &twin, &twin_in_project);
    for id in [c("a_d3"), on_d3] {
        reason_contains(&report, &id, "its document is not in the project");
    }
    let get = |id: &str| p.codings(&CodingFilter::default()).unwrap().into_iter().find(|x| x.id == id);
    let span = |id: &str| get(id).map(|x| (x.start, x.end, x.memo));
    assert_eq!(span(&c("a_hope")), Some((2, 25, None)));
    assert_eq!(span(&c("a_fear")), Some((28, 33, None)));
    assert_eq!(span(&c("a_worry")), Some((49, 56, Some("checked".into()))));
    assert_eq!(span(&c("a_work")), Some((10, 25, None)));
    assert_eq!(span(&c("a_transport")), None);
    assert_eq!(span(&c("a_garden")), None);
    assert!(get(&twin).is_none() && get(&twin_in_project).is_some());
    let text = report.to_text();
    assert!(text.contains("not merged: d3 [8, 12) Hope by amara: its document is not in the project"), "{text}");
}

#[test]
fn a_copy_of_another_project_or_a_plain_project_is_refused() {
    let s = Study::new();
    let p = s.project();
    let other = tempfile::tempdir().unwrap();
    let plain = other.path().join("plain.codeloom");
    Project::create(&plain).unwrap();
    let e = merge::plan_merge(&p, &plain).unwrap_err().to_string();
    assert!(e.contains("not a coder's copy"), "{e}");
    let elsewhere = Project::create(&other.path().join("else.codeloom")).unwrap();
    let e = merge::plan_merge(&elsewhere, &s.copy).unwrap_err().to_string();
    assert!(e.contains("copy of a different project"), "{e}");
    let _ = Path::new(&s.path);
}

#[test]
fn a_coding_recoded_in_the_copy_to_a_code_deleted_in_the_project() {
    // The copy merges Fear into Worry, so amara's Fear coding now carries Worry; the project
    // meanwhile deleted Worry. Both codes are in conflict, and every combination of choices
    // accounts for amara's coding exactly once.
    let s = Study::new();
    let (fear, worry) = (s.codes["Fear"].clone(), s.codes["Worry"].clone());
    s.in_copy(|c| c.merge_codes(std::slice::from_ref(&fear), &worry).unwrap());
    let (a_fear, b_fear, a_worry) =
        (s.codings["a_fear"].clone(), s.codings["b_fear"].clone(), s.codings["a_worry"].clone());
    let mut p = s.project();
    p.delete_code(&worry).unwrap();
    let plan = merge::plan_merge(&p, &s.copy).unwrap();
    let found: Vec<(ConflictKind, &str, usize)> =
        plan.conflicts.iter().map(|c| (c.kind, c.code.as_str(), c.codings)).collect();
    assert_eq!(found, [(ConflictKind::DeletedInCopy, "Fear", 2), (ConflictKind::DeletedInProject, "Worry", 1)]);
    assert!(plan.conflicts[1].copy.contains("used by 1 codings"), "{}", plan.conflicts[1].copy);
    let code_of = |p: &Project, id: &str| {
        p.codings(&CodingFilter::default()).unwrap().into_iter().find(|c| c.id == id).map(|c| c.code_id)
    };
    // (choice for Fear, choice for Worry) → the lines of a_fear and b_fear, and where a_fear ends up.
    let cases = [
        (Choice::Project, Choice::Project, CodingOutcome::NotMerged, None, Some(fear.clone())),
        (Choice::Project, Choice::Copy, CodingOutcome::Updated, None, Some(worry.clone())),
        (Choice::Copy, Choice::Copy, CodingOutcome::Updated, Some(CodingOutcome::RemovedWithCode), Some(worry.clone())),
        (Choice::Copy, Choice::Project, CodingOutcome::RemovedWithCode, Some(CodingOutcome::RemovedWithCode), None),
    ];
    for (for_fear, for_worry, a_line, b_line, a_code) in cases {
        let mut plan = merge::plan_merge(&p, &s.copy).unwrap();
        plan.resolve(0, for_fear).unwrap();
        plan.resolve(1, for_worry).unwrap();
        let report = p.merge_copy(&plan).unwrap();
        let mut want = s.untouched(&["a_fear", "a_worry"]);
        want.extend([(a_fear.clone(), a_line), (a_worry.clone(), CodingOutcome::StaysRemoved)]);
        want.extend(b_line.map(|o| (b_fear.clone(), o)));
        assert_eq!(outcomes(&report), expect(want), "Fear {for_fear:?}, Worry {for_worry:?}");
        assert_eq!(code_of(&p, &a_fear), a_code, "Fear {for_fear:?}, Worry {for_worry:?}");
        if a_line == CodingOutcome::NotMerged {
            reason_contains(&report, &a_fear, "deleted in the project");
        }
        if for_fear == Choice::Copy && for_worry == Choice::Project {
            reason_contains(&report, &a_fear, "deleted in the copy");
            reason_contains(&report, &a_fear, "deleted in the project");
        }
        if report.changed {
            p.undo().unwrap();
        }
    }
}

#[test]
fn a_code_deleted_in_the_copy_whose_coding_the_project_changed() {
    // The copy deletes Transport with amara's coding; the project meanwhile removed ben's
    // coding of it and wrote a memo on amara's. The changed coding makes it a conflict.
    let s = Study::new();
    let transport = s.codes["Transport"].clone();
    s.in_copy(|c| c.delete_code(&transport).unwrap());
    let a_transport = s.codings["a_transport"].clone();
    let mut p = s.project();
    p.delete_coding(&s.codings["b_transport"]).unwrap();
    p.update_coding(&a_transport, CodingChanges { memo: Some(Some("a bus strike".into())), ..Default::default() })
        .unwrap();
    let conflicts = [(ConflictKind::DeletedInCopy, "Transport")];
    let report = s.merge(&mut p, &conflicts, Choice::Project);
    let mut want = s.untouched(&["a_transport"]);
    want.push((a_transport.clone(), CodingOutcome::KeptProject));
    assert_eq!(outcomes(&report), expect(want.clone()));
    reason_contains(&report, &a_transport, "the code is kept");
    assert!(p.code(&transport).is_ok());

    let report = s.merge(&mut p, &conflicts, Choice::Copy);
    want.pop();
    want.push((a_transport.clone(), CodingOutcome::RemovedWithCode));
    assert_eq!(outcomes(&report), expect(want));
    reason_contains(&report, &a_transport, "deleted in the copy");
    assert!(p.code(&transport).is_err());
    assert!(p.codings(&CodingFilter::default()).unwrap().iter().all(|c| c.id != a_transport));
}

fn describe(definition: &str) -> CodeDescription {
    CodeDescription { definition: definition.into(), ..Default::default() }
}

fn change(p: &mut Project, id: &str, description: Option<&str>, color: Option<&str>) {
    let changes =
        CodeChanges { description: description.map(describe), color: color.map(str::to_string), ..Default::default() };
    p.update_code(id, changes).unwrap();
}

#[test]
fn definitions_and_colours_changed_on_one_side_or_both() {
    let s = Study::new();
    let (hope, fear, worry) = (s.codes["Hope"].clone(), s.codes["Fear"].clone(), s.codes["Worry"].clone());
    let worry_colour = s.project().code(&worry).unwrap().color;
    s.in_copy(|c| {
        change(c, &hope, Some("Looking forward"), None);
        change(c, &fear, Some("Afraid of something named"), None);
        change(c, &worry, None, Some("#111111"));
    });
    let mut p = s.project();
    change(&mut p, &hope, None, Some("#ff0000"));
    change(&mut p, &fear, Some("Dread"), None);
    change(&mut p, &worry, None, Some("#222222"));
    let mut plan = merge::plan_merge(&p, &s.copy).unwrap();
    let found: Vec<(ConflictKind, &str, &str, &str, &str)> = plan
        .conflicts
        .iter()
        .map(|c| (c.kind, c.code.as_str(), c.base.as_str(), c.project.as_str(), c.copy.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (ConflictKind::Redefined, "Fear", "", "definition: Dread", "definition: Afraid of something named"),
            (ConflictKind::Recoloured, "Worry", worry_colour.as_str(), "#222222", "#111111"),
        ]
    );
    plan.resolve(0, Choice::Copy).unwrap();
    plan.resolve(1, Choice::Project).unwrap();
    let report = p.merge_copy(&plan).unwrap();
    assert_eq!(outcomes(&report), expect(s.untouched(&[])));
    // Hope: the copy's definition and the project's colour, no conflict.
    let h = p.code(&hope).unwrap();
    assert_eq!((h.description.definition.as_str(), h.color.as_str()), ("Looking forward", "#ff0000"));
    assert_eq!(p.code(&fear).unwrap().description.definition, "Afraid of something named");
    assert_eq!(p.code(&worry).unwrap().color, "#222222");
    let changed: BTreeSet<&str> = report.codes_changed.iter().map(String::as_str).collect();
    assert_eq!(changed, BTreeSet::from(["Hope", "Fear"]));
    // The other way round.
    p.undo().unwrap();
    let mut plan = merge::plan_merge(&p, &s.copy).unwrap();
    plan.resolve(0, Choice::Project).unwrap();
    plan.resolve(1, Choice::Copy).unwrap();
    p.merge_copy(&plan).unwrap();
    assert_eq!(p.code(&fear).unwrap().description.definition, "Dread");
    assert_eq!(p.code(&worry).unwrap().color, "#111111");
}

#[test]
fn memos_and_codebook_versions_written_in_the_copy_come_along() {
    let s = Study::new();
    let (hope, d1, d3) = (s.codes["Hope"].clone(), s.docs["d1"].clone(), s.docs["d3"].clone());
    s.in_copy(|c| {
        c.add_memo(MemoTarget::Document, Some(&d1), "Tone", "Quiet, tired.").unwrap();
        c.add_memo(MemoTarget::Code, Some(&hope), "", "Overlaps with optimism.").unwrap();
        c.add_memo(MemoTarget::Project, None, "Plan", "Second pass next week.").unwrap();
        c.add_memo(MemoTarget::Document, Some(&d3), "Gone", "This one was withdrawn.").unwrap();
        c.save_codebook_version("v1", "amara's first pass").unwrap();
        c.save_codebook_version("v2", "").unwrap();
    });
    let mut p = s.project();
    p.save_codebook_version("v1", "the lead's").unwrap();
    p.delete_document(&d3).unwrap();
    let report = s.merge(&mut p, &[], Choice::Project);
    // The memo on the withdrawn document has no home; the others come with their coder.
    assert_eq!(report.memos_added, 3);
    let memos: BTreeSet<(String, Option<String>, String, Option<String>)> =
        p.memos(None).unwrap().into_iter().map(|m| (m.title, m.target_id, m.body, m.coder)).collect();
    let amara = Some("amara".to_string());
    assert_eq!(
        memos,
        BTreeSet::from([
            ("Tone".into(), Some(d1.clone()), "Quiet, tired.".into(), amara.clone()),
            ("".into(), Some(hope.clone()), "Overlaps with optimism.".into(), amara.clone()),
            ("Plan".into(), None, "Second pass next week.".into(), amara.clone()),
        ])
    );
    // Versions keep their IDs; a name already used in the project gets the coder's name.
    assert_eq!(report.versions_added, ["v1 (amara)", "v2"]);
    let names: BTreeSet<String> =
        codeloom::codebook::versions::versions(&p).unwrap().into_iter().map(|v| v.name).collect();
    assert_eq!(names, BTreeSet::from(["v1".into(), "v1 (amara)".into(), "v2".into()]));
    // Merging again adds nothing.
    let again = s.merge(&mut p, &[], Choice::Project);
    assert_eq!((again.memos_added, again.versions_added.len(), again.changed), (0, 0, false));
}

#[test]
fn a_plan_must_be_resolved_and_still_fit_the_project() {
    let s = Study::new();
    let hope = s.codes["Hope"].clone();
    s.in_copy(|c| {
        c.update_code(&hope, CodeChanges { name: Some("Hopefulness".into()), ..Default::default() }).unwrap()
    });
    let mut p = s.project();
    p.update_code(&hope, CodeChanges { name: Some("Optimism".into()), ..Default::default() }).unwrap();
    let mut plan = merge::plan_merge(&p, &s.copy).unwrap();
    assert_eq!(plan.unresolved(), 1);
    let e = p.merge_copy(&plan).unwrap_err().to_string();
    assert!(e.contains("1 conflicts are not resolved"), "{e}");
    assert!(plan.resolve(5, Choice::Copy).is_err());
    plan.resolve(0, Choice::Copy).unwrap();
    assert_eq!(plan.unresolved(), 0);
    // The project changes so that the conflict is gone: the plan no longer fits.
    p.update_code(&hope, CodeChanges { name: Some("Hope".into()), ..Default::default() }).unwrap();
    let e = p.merge_copy(&plan).unwrap_err().to_string();
    assert!(e.contains("plan it again"), "{e}");
    assert_eq!(p.code(&hope).unwrap().name, "Hope");
}

#[test]
fn a_full_copy_keeps_every_coder_and_starts_its_own_history() {
    let s = Study::new();
    let p = s.project();
    let dir = tempfile::tempdir().unwrap();
    assert!(merge::make_copy(&p, "  ", &dir.path().join("x.codeloom"), false).is_err());
    assert!(merge::make_copy(&p, "amara", &s.copy, false).unwrap_err().to_string().contains("already exists"));
    let full = dir.path().join("full.codeloom");
    let base = merge::make_copy(&p, "amara", &full, false).unwrap();
    assert_eq!((base.coder.as_str(), base.blind, base.codings.len()), ("amara", false, 11));
    assert_eq!(base.project_id, p.project_id().unwrap());
    let copy = Project::open(&full).unwrap();
    assert_eq!(copy.codings(&CodingFilter::default()).unwrap().len(), 11);
    assert!(copy.history().unwrap().is_empty(), "the copy's history starts when it is made");
    assert_eq!(merge::copy_base(&copy).unwrap().unwrap().copy_id, base.copy_id);
    assert!(merge::copy_base(&p).unwrap().is_none());
    let blind = merge::copy_base(&Project::open(&s.copy).unwrap()).unwrap().unwrap();
    assert_eq!((blind.blind, blind.codings.len()), (true, 7), "a blind copy holds only amara's codings");
    drop(copy);

    // In a full copy amara resizes two of ben's codings; the project also changed one of
    // them. The unchanged one takes the copy's change; the other keeps the project's, as it
    // is not the copy's coder's coding.
    let (b_hope, b_fear) = (s.codings["b_hope"].clone(), s.codings["b_fear"].clone());
    {
        let mut c = Project::open(&full).unwrap();
        c.set_coder("amara").unwrap();
        for id in [&b_hope, &b_fear] {
            c.update_coding(id, CodingChanges { start: Some(2), ..Default::default() }).unwrap();
        }
    }
    let mut p = s.project();
    p.update_coding(&b_fear, CodingChanges { end: Some(40), ..Default::default() }).unwrap();
    let plan = merge::plan_merge(&p, &full).unwrap();
    let report = p.merge_copy(&plan).unwrap();
    let got = outcomes(&report);
    assert_eq!(got.len(), 11);
    assert_eq!(got[&b_hope], CodingOutcome::Updated);
    assert_eq!(got[&b_fear], CodingOutcome::KeptProject);
    assert_eq!(got.values().filter(|o| **o == CodingOutcome::AlreadyPresent).count(), 9);
    let span = |id: &str| {
        p.codings(&CodingFilter::default()).unwrap().into_iter().find(|c| c.id == id).map(|c| (c.start, c.end))
    };
    assert_eq!(span(&b_hope), Some((2, 14)));
    assert_eq!(span(&b_fear), Some((29, 40)));
}

#[test]
fn crossed_moves_do_not_make_a_cycle_and_names_count_up() {
    let s = Study::new();
    let (feelings, life) = (s.codes["Feelings"].clone(), s.codes["Life"].clone());
    // The copy puts Feelings under Life and adds a third "Stigma"; the project puts Life under
    // Feelings and already has "Stigma" and "Stigma (amara)" there.
    let theirs = s.in_copy(|c| {
        c.move_code(&feelings, Some(&life), None).unwrap();
        c.create_code(NewCode { name: "Stigma".into(), parent_id: Some(life.clone()), ..Default::default() }).unwrap()
    });
    let mut p = s.project();
    p.move_code(&life, Some(&feelings), None).unwrap();
    for name in ["Stigma", "Stigma (amara)"] {
        p.create_code(NewCode { name: name.into(), parent_id: Some(life.clone()), ..Default::default() }).unwrap();
    }
    let report = s.merge(&mut p, &[], Choice::Project);
    assert_eq!(report.codes_added, ["Stigma (amara 3)"]);
    assert_eq!(p.code(&theirs).unwrap().parent_id.as_deref(), Some(life.as_str()));
    // Feelings would go under its own child: it stays where the project has it.
    assert_eq!(p.code(&feelings).unwrap().parent_id, None);
    assert_eq!(p.code(&life).unwrap().parent_id.as_deref(), Some(feelings.as_str()));
    assert_eq!(outcomes(&report), expect(s.untouched(&[])));
}

#[test]
fn a_coding_changed_in_the_copy_on_a_code_deleted_in_the_project() {
    // The copy only resizes amara's Transport coding; the project deleted Transport. The
    // change would be lost with the deletion, so it is a conflict like a new coding.
    let s = Study::new();
    let (transport, a_transport) = (s.codes["Transport"].clone(), s.codings["a_transport"].clone());
    s.in_copy(|c| c.update_coding(&a_transport, CodingChanges { end: Some(68), ..Default::default() }).unwrap());
    let mut p = s.project();
    p.delete_code(&transport).unwrap();
    let conflicts = [(ConflictKind::DeletedInProject, "Transport")];
    let plan = merge::plan_merge(&p, &s.copy).unwrap();
    assert_eq!(plan.conflicts[0].codings, 1);
    assert!(
        plan.conflicts[0].copy.contains("used by 1 codings made or changed in the copy"),
        "{}",
        plan.conflicts[0].copy
    );
    let report = s.merge(&mut p, &conflicts, Choice::Project);
    let mut want = s.untouched(&["a_transport"]);
    want.push((a_transport.clone(), CodingOutcome::NotMerged));
    assert_eq!(outcomes(&report), expect(want.clone()));
    reason_contains(&report, &a_transport, "deleted in the project");
    // Taking the copy's side brings Transport back with the resized coding.
    let report = s.merge(&mut p, &conflicts, Choice::Copy);
    want.pop();
    want.push((a_transport.clone(), CodingOutcome::Added));
    assert_eq!(outcomes(&report), expect(want));
    let back = p.codings(&CodingFilter { code_id: Some(transport.clone()), ..Default::default() }).unwrap();
    assert_eq!(
        back.iter().map(|c| (c.id.as_str(), c.start, c.end)).collect::<Vec<_>>(),
        [(a_transport.as_str(), 62, 68)]
    );
}
