import { Component, type ReactNode } from 'react';
import { Alert, Button } from '@mui/material';

interface Props { children: ReactNode; message: string; reloadLabel: string; resetKey: string }
interface State { error: Error | null; key: string }

/**
 * Keeps a failing admin page (typically a page chunk that is gone after an upgrade of the server)
 * from blanking the whole app: shows the error with a reload button instead.
 */
export class PageBoundary extends Component<Props, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    // Another page was chosen: try again.
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert severity="error" data-testid="admin-page-error" action={<Button color="inherit" onClick={() => window.location.reload()}>{this.props.reloadLabel}</Button>}>
        {this.props.message} ({this.state.error.message})
      </Alert>
    );
  }
}
