/* The few vtex.styleguide components this app uses (IO serves the real ones; no typings are published on npm). */
declare module 'vtex.styleguide' {
  import type { ComponentType, Context, ReactNode } from 'react'

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Props = Record<string, any> & { children?: ReactNode }

  export const Layout: ComponentType<Props>
  export const PageHeader: ComponentType<Props>
  export const PageBlock: ComponentType<Props>
  export const Alert: ComponentType<Props>
  export const Button: ComponentType<Props>
  export const Progress: ComponentType<Props>
  export const Spinner: ComponentType<Props>
  export const RadioGroup: ComponentType<Props>
  export const Checkbox: ComponentType<Props>
  export const EmptyState: ComponentType<Props>
  export const Dropdown: ComponentType<Props>
  export const ToastProvider: ComponentType<Props>
  export const ToastContext: Context<{
    showToast: (toast: string | { message: string; duration?: number }) => void
  }>
  export const EXPERIMENTAL_Table: ComponentType<Props>
  export function EXPERIMENTAL_useTableMeasures(options: {
    size: number
    density?: string
  }): Record<string, unknown>
}
