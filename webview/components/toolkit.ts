/**
 * The only place that knows about @vscode/webview-ui-toolkit: the Svelte wrappers in this folder
 * use it, panels use the wrappers, so swapping the toolkit touches this folder alone.
 */
import {
  provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeDivider, vsCodeDropdown, vsCodeOption, vsCodeProgressRing,
  vsCodeTextArea, vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

// No vsCodeBadge or vsCodeTag: their (FAST badge) template binds a style attribute, which a strict CSP blocks;
// Badge.svelte and Tag.svelte are our own.
// vsCodeProgressRing binds one only when determinate (a `value`): Spinner.svelte never sets one.
provideVSCodeDesignSystem().register(
  vsCodeButton(), vsCodeDivider(), vsCodeProgressRing(), vsCodeDropdown(), vsCodeOption(), vsCodeCheckbox(), vsCodeTextField(),
  vsCodeTextArea(),
);
