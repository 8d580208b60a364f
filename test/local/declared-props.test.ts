/**
 * The props the browser host hands each Atlaskit component come from @atlaskit/forge-react-types'
 * own types, resolved by the TypeScript checker: the fixes a browser showed depend on them (a
 * Toggle's label is only its accessible name; a plain Button cannot show a spinner).
 */
import { declaredProps } from '../../local/browser/declared-props';

const declared = declaredProps();

describe('declared props of the UI Kit components', () => {
  it('gives a Toggle a label and an id but no children: its label is not text on the page', () => {
    expect(declared.Toggle).toEqual(expect.arrayContaining(['id', 'isChecked', 'label', 'onChange']));
    expect(declared.Toggle).not.toContain('children');
  });

  it('lets only a LoadingButton show it is busy', () => {
    expect(declared.LoadingButton).toContain('isLoading');
    expect(declared.Button).not.toContain('isLoading');
  });

  it('reads property names, not the string values of a union (Modal width sizes, Button spacing)', () => {
    expect(declared.Modal).toEqual(expect.arrayContaining(['onClose', 'width']));
    expect(declared.Modal).not.toContain('large');
    expect(declared.Button).not.toContain('none');
  });

  it('includes the hand-written base components (User) and ties Label to a field by labelFor', () => {
    expect(declared.User).toEqual(['accountId', 'hideDisplayName']);
    expect(declared.Label).toEqual(expect.arrayContaining(['labelFor', 'children']));
  });
});
