-- The day a member stopped serving (届满离任, 辞去, 撤销): the plan measures
-- them for the periods they served to the end, and not after.
ALTER TABLE members ADD COLUMN left_on DATE;
