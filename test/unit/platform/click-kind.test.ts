import * as assert from 'node:assert/strict';
import { ClickKind } from '../../../src/platform/click-kind';

describe('click kind: a second click on the same item within the window is a double click', () => {
  it('tells single from double clicks per item, on a given clock', () => {
    let t = 1000;
    const clicks = new ClickKind(500, () => t);
    assert.equal(clicks.click('a'), 'single');
    t += 300;
    assert.equal(clicks.click('a'), 'double');
    t += 100;
    assert.equal(clicks.click('b'), 'single', 'another item');
    t += 100;
    assert.equal(clicks.click('a'), 'single', 'b came between');
    t += 501;
    assert.equal(clicks.click('a'), 'single', 'too late for a double click');
    t += 500;
    assert.equal(clicks.click('a'), 'double', 'the window is inclusive');
  });
});
