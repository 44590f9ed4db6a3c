-- A member follows the cases they took up: their list reads this index.
CREATE INDEX cases_raised_by ON cases (raised_by, received_on);
