// Lets svelte-check type the toolkit's custom elements used by the wrappers in this folder.
import type { HTMLAttributes } from 'svelte/elements';

declare module 'svelte/elements' {
  export interface SvelteHTMLElements {
    'vscode-button': HTMLAttributes<HTMLElement> & { appearance?: 'primary' | 'secondary' | 'icon'; disabled?: boolean };
    'vscode-badge': HTMLAttributes<HTMLElement>;
    'vscode-divider': HTMLAttributes<HTMLElement>;
    'vscode-progress-ring': HTMLAttributes<HTMLElement>;
  }
}
export {};
