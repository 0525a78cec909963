"""nbgrader's OverwriteCells without its false alarm on every test cell that has hidden tests.

Autograde puts every locked cell back as the gradebook stores it, and warns "Attribute 'checksum' for cell ...
has changed!" when the submitted cell differs. A test cell with hidden tests always differs: the gradebook stores
it with the hidden tests, the student received it without them. So every submission, perfect ones included,
produced one warning per such cell, and a real tampering warning drowned among them. Here a cell that is exactly
the released version (the stored cell with its hidden-test region removed, as generate_assignment removes it) is
restored silently; any other change to a locked cell is still restored and reported, as nbgrader does.
"""

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from nbgrader import utils


class OverwriteReleasedCells(OverwriteCells):
    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.source != cell.source and cell.source == released(source.source, self):
                cell.source = source.source
        return super().preprocess_cell(cell, resources, cell_index)


def released(source, parent):
    """The cell text students received: ``source`` with its hidden-test region removed."""
    clear = ClearHiddenTests(parent=parent)
    cell = utils.NotebookNode(cell_type="code", source=source, metadata={})
    clear._remove_hidden_test_region(cell)
    return cell.source
