-- A step's `note` is what the user typed there, kept as typed. What the step
-- itself sets down besides (the number given, the proposal merged into, the
-- committee forwarded to, the answer or reply, the rating) goes in `detail`,
-- so that neither takes the other's place.
ALTER TABLE case_events ADD COLUMN detail TEXT;
ALTER TABLE proposal_events ADD COLUMN detail TEXT;
ALTER TABLE info_events ADD COLUMN detail TEXT;
