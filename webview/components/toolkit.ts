/**
 * The only place that knows about @vscode/webview-ui-toolkit: the Svelte wrappers in this folder
 * use it, panels use the wrappers, so swapping the toolkit touches this folder alone.
 */
import {
  provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeCheckbox, vsCodeDivider, vsCodeDropdown, vsCodeOption, vsCodeProgressRing, vsCodeTag,
  vsCodeTextArea, vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(
  vsCodeButton(), vsCodeBadge(), vsCodeDivider(), vsCodeProgressRing(), vsCodeDropdown(), vsCodeOption(), vsCodeCheckbox(), vsCodeTextField(),
  vsCodeTextArea(), vsCodeTag(),
);
