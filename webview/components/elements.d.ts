// Lets svelte-check type the toolkit's custom elements used by the wrappers in this folder.
import type { HTMLAttributes } from 'svelte/elements';

type Field = HTMLAttributes<HTMLElement> & { value?: string; placeholder?: string; disabled?: boolean; readonly?: boolean };

declare module 'svelte/elements' {
  export interface SvelteHTMLElements {
    'vscode-button': HTMLAttributes<HTMLElement> & { appearance?: 'primary' | 'secondary' | 'icon'; disabled?: boolean };
    'vscode-divider': HTMLAttributes<HTMLElement>;
    'vscode-progress-ring': HTMLAttributes<HTMLElement>;
    'vscode-dropdown': HTMLAttributes<HTMLElement> & { value?: string; disabled?: boolean; position?: 'above' | 'below' };
    'vscode-option': HTMLAttributes<HTMLElement> & { value?: string; selected?: boolean };
    'vscode-checkbox': HTMLAttributes<HTMLElement> & { checked?: boolean; disabled?: boolean };
    'vscode-text-field': Field & { type?: string; size?: number };
    'vscode-text-area': Field & { rows?: number; resize?: 'none' | 'both' | 'horizontal' | 'vertical' };
  }
}
export {};
