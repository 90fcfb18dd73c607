/**
 * The only place that knows about @vscode/webview-ui-toolkit: the Svelte wrappers in this folder
 * use it, panels use the wrappers, so swapping the toolkit touches this folder alone.
 */
import { provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDivider, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeBadge(), vsCodeDivider(), vsCodeProgressRing());
